"""Uploaded files are typed by their content (first bytes), never by their name or the browser's word."""

SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}
IMAGES = ("jpeg", "png")


def sniff(head: bytes) -> str | None:
    """ "pdf", "jpeg", "png", or None for anything else."""
    return next((kind for kind, magics in SIGNATURES.items() if head.startswith(magics)), None)


def content_type_of(fileobj) -> str:
    """The content type an opened stored file is served with, read from its first bytes."""
    head = fileobj.read(8)
    fileobj.seek(0)
    return CONTENT_TYPES.get(sniff(head), "application/octet-stream")
