"""Campaign reports for supervisors: counts of calls, registrations and SMS over a period, from the audit trail."""
