from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from workdays.services import CalendarUnavailable, calendar_load_year


class Command(BaseCommand):
    help = (
        "Load a year's public holidays and make-up working days (调休) from the chinesecalendar library "
        "(default: this year and next). Rows already on record, e.g. corrected in the admin, are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", help="the year to load (repeatable)")

    def handle(self, *args, year=None, **options):
        this_year = timezone.localdate().year
        years = year or [this_year, this_year + 1]
        missing = []
        for y in years:
            try:
                load = calendar_load_year(year=y)
            except CalendarUnavailable as exc:
                missing.append(y)
                self.stderr.write(
                    self.style.WARNING(
                        f"{y}: not loaded: the installed chinesecalendar has no data for it ({exc}). Until it is "
                        f"entered, complaint deadlines in {y} count Monday to Friday only: enter the State Council's "
                        f"holidays in the admin (工作日历 › 节假日与调休), or upgrade chinesecalendar once a release "
                        f"has them and run `manage.py load_holidays --year {y}`."
                    )
                )
                continue
            self.stdout.write(
                self.style.SUCCESS(f"{y}: {load.created} day(s) added, {load.total} holiday/调休 day(s) on record.")
            )
        if year and missing:  # asked for by name: a failure, not a notice
            raise CommandError(f"No holiday data for {', '.join(map(str, missing))}.")
