"""The event store on the eventsourcing library: tenant-aware recorder, group commit,
personal-data mapper, unit of work, commit-order reader."""

__all__: list[str] = []
