"""Who may read the bank-wide reports: staff whose role grants `staff.view_reports` (branch
managers and auditors; superusers). One name, so the rule changes in one place; the admin
index asks the same class before it draws the charts."""

from staff.permissions import HasCapability

CanViewReports = HasCapability("view_reports")
