"""Issue an API token for a user and print its key once (only its SHA-256 is stored; issue 14).

    manage.py issue_api_token <username> [--name 用途] [--days N]

The key goes in `Authorization: Token <key>`. Lost keys cannot be shown again: issue a new one and delete the old
one in the admin (accounts → API令牌).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue an API token for a user and print its key once (stored hashed, with an expiry)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for (shown in the admin)")
        parser.add_argument("--days", type=int, default=None, help="days until it expires (default API_TOKEN_DAYS)")

    def handle(self, *args, username: str, name: str, days: int | None, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1")
        token = ApiToken(user=user, name=name[:100])
        if days is not None:
            token.expires_at = timezone.now() + timedelta(days=days)
        token.save()
        expires = timezone.localtime(token.expires_at)
        self.stderr.write(f"Token {token.prefix}… for {user.username}, expires {expires:%Y-%m-%d}; key shown once:")
        self.stdout.write(token.key)
