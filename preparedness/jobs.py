"""The daily preparedness check (docs/rules.md "Preparedness"): drills due and overdue (TSG T5002-2017), liability
policies ending (plan §2(12)), use units without a valid safety manager (plan §2(7)). Each part is set-based and
sends each reminder once per cycle through the notifications ledger, so the whole check is safe to run twice or on
two workers at once."""

from dataclasses import dataclass
from datetime import date

from .services.drills import drills_reminders_run
from .services.insurance import insurance_expiry_run
from .services.safety import safety_managers_missing_run


@dataclass
class PreparednessRun:
    drills_due: int
    drills_overdue: int
    policies_ending: int
    use_units_without_manager: int

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def preparedness_check_run(*, today: date) -> PreparednessRun:
    """Run the three daily checks for `today`; each returns how many new reminders it sent."""
    drills = drills_reminders_run(today=today)
    return PreparednessRun(
        drills_due=drills.due_soon,
        drills_overdue=drills.overdue,
        policies_ending=insurance_expiry_run(today=today),
        use_units_without_manager=safety_managers_missing_run(today=today),
    )
