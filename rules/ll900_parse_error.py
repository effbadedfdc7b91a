"""LL900: the file is not valid Python. Reported by the engine; the run goes on."""

from __future__ import annotations

from losslint.rule import Rule


class ParseError(Rule):
    """
    ## What it does
    Reports a file that the parser cannot read as Python, with the parser's line
    and column. The file is not checked for the other rules; the run goes on.

    ## Why is this bad?
    A file losslint cannot parse is a file it cannot vouch for. Only files that
    mention a softmax, sigmoid or `exp` are parsed at all, so only those are
    reported here.

    ## Example
    ```python
    def softmax(z)
        return np.exp(z)
    ```

    ## Use instead
    Fix the syntax error (the message names the line and column), or exclude the
    file if it is a template.

    ## References
    - The Python Language Reference, "Lexical analysis".
    """

    code = "LL900"
    name = "parse-error"
    summary = "The file is not valid Python (the run goes on)"
    fix_title = "Fix the syntax error at the reported position"
