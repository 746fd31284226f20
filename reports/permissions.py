"""Who may read the bank-wide reports.

One class, so that the staff roles of issue 14 (branch managers, auditors) change one place:
today every manager (and superuser) may, through the existing `IsManager`. The admin index
asks the same class before it draws the charts.
"""

from accounts.permissions import IsManager


class CanViewReports(IsManager):
    message = "Only bank managers and auditors may see the bank's reports."
