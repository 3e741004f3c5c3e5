"""Live event streams' adapters: one tenant's log read in commit-safe order and rendered as
histories render it (``tail``), the per-process hub that follows it once per tenant and fans
it out to every open stream (``hub``), and the slots that bound open streams per tenant
across processes (``slots``) (ADR 0067)."""
