"""The connector kit: what every tracker connector (built-in or a third party's) shares.

- ``errors``: ``HttpError`` (status, response), ``LostResponse``, ``Unreachable``
- ``retry``: ``Vendor`` (a vendor's statuses, headers, error shape), the tenacity
  ``RetryPolicy`` and the rate-limit ``Pacer``
- ``http``: ``HttpClient``, one session per tracker through that policy
- ``paginate``: offset, page-number and next-page-token paginators
- ``options``: ``Option`` / ``OptionSchema``, the one settings format of the core
  config, the connectors and the rules
- ``cursor``: ``SyncClock`` (incremental or reconcile) and the sync options
- ``marker``: the comment marker format
"""
