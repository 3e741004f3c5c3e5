"""Documents made for clients: the proposal PDF of a case's quote."""

__all__: list[str] = []
