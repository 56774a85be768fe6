"""Following cases to the end: step events in; commitments kept, at risk or overdue out.

(docs/tracking.md)
"""
