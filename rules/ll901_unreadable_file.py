"""LL901: the file could not be read or decoded. Reported by the engine; the run goes on."""

from __future__ import annotations

from losslint.rule import Rule


class UnreadableFile(Rule):
    """
    ## What it does
    Reports a file that could not be read (permissions, a broken link) or decoded
    (bytes that are not valid in the file's declared or default encoding).

    ## Why is this bad?
    A file that cannot be read is not checked. The run goes on with the others.

    ## Example
    A file saved as Latin-1 with no coding cookie, containing `é` as the byte `0xe9`.

    ## Use instead
    Save the file as UTF-8, or declare its encoding on the first or second line:
    `# -*- coding: latin-1 -*-` (PEP 263).

    ## References
    - PEP 263, "Defining Python Source Code Encodings".
    """

    code = "LL901"
    name = "unreadable-file"
    summary = "The file could not be read or decoded (the run goes on)"
    fix_title = "Make the file readable and UTF-8, or declare its encoding"
