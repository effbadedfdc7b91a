"""``losslint run``: the static analysis decides where the run-time checks go.

``transform`` rewrites a module's source so that every site where the value-kind
analysis sees probabilities meet labels or a loss hands its operands to
``probe.Probe``; ``verdicts`` judges them; ``hook`` applies the transform to the
user's own modules as they are imported; ``runner`` runs a program under it.
"""
