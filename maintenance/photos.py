"""Photos re-encoded on intake, so that what a phone wrote into them does not travel on (issue 14; 个人信息保护法 §28:
a location is personal data).

A resident's complaint photo keeps no metadata at all (EXIF with GPS position, camera serial, XMP, text chunks). A
maintenance photo keeps its EXIF (the time it was taken is evidence of the visit, TSG T5002-2017) but loses the GPS
position. Either way the pixels are decoded and written again by Pillow, which also drops anything appended to or
hidden in the file, and turns the picture upright by its EXIF orientation first.

Here, below complaints, so that both the maintenance records and the complaints use the one function; it knows no
domain and could move to elevator_portal.files.
"""

import io
import logging
import warnings

from PIL import Image, ImageOps

from elevator_portal.files import sniff

logger = logging.getLogger(__name__)

GPS_IFD = 0x8825
# What a file carries EXIF or XMP in: a file Pillow cannot decode but that holds one of these is refused.
METADATA_MARKERS = (b"Exif\x00\x00", b"http://ns.adobe.com/xap/", b"eXIf")
# Beyond this many pixels a "photo" is a decompression bomb, not a picture of an elevator (a 48 MP phone is 48e6).
MAX_PIXELS = 100_000_000


class UnreadablePhoto(ValueError):
    """A JPEG/PNG by its first bytes that cannot be decoded and carries metadata that could not be removed."""


def strip_photo(data: bytes, *, keep_exif: bool = False) -> bytes:
    """The photo re-encoded without metadata (with its EXIF but no GPS position when `keep_exif`), in the same
    format (JPEG or PNG). Bytes that are not a decodable image are returned as they are unless they carry
    metadata, which raises UnreadablePhoto (callers check the type by the first bytes before)."""
    kind = sniff(data[:8])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError(f"{image.width}x{image.height}")
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if any(marker in data for marker in METADATA_MARKERS):
            raise UnreadablePhoto(str(exc)) from exc
        logger.warning("photo not decodable, stored as received (no metadata found): %s", exc)
        return data
    upright = ImageOps.exif_transpose(image)  # also drops the orientation tag from its own EXIF copy
    options: dict = {}
    if keep_exif:
        exif = upright.getexif()
        if GPS_IFD in exif:
            del exif[GPS_IFD]
        options["exif"] = exif.tobytes()
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc  # colours, not personal
    out = io.BytesIO()
    if kind == "png" or (kind is None and image.format == "PNG"):
        upright.save(out, format="PNG", optimize=False, **options)
    else:
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, format="JPEG", quality=90, **options)
    return out.getvalue()
