"""losslint's rules, one per module; the engine discovers them, no list is kept by hand."""
