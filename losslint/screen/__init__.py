"""The screen: whether a file can hold a finding, decided on Python's own ``ast`` before LibCST parses it.

LibCST's parser costs about ten times CPython's, and on real code almost every
file that mentions a softmax holds no finding. The screen runs the value-kind
analysis on the ``ast`` tree the engine already has (``screen/facts.py``, the
same analysis as ``facts.py``) and asks each selected rule's ``screen`` whether
the evidence it needs is there. Only when one says yes does the file go through
LibCST, the rules and their messages and fixes. A rule's screen may say yes
where the rule then finds nothing, never no where it would find something; the
tests compare both ways on the fixtures and on real code.
"""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Sequence, Type

from losslint import apis
from losslint.screen.evidence import Evidence


def may_find(
    tree: ast.Module,
    source: str,
    rules: Sequence[Type],
    knowledge: apis.Knowledge = apis.BUILT_IN,
    index: Optional[Dict[type, List[ast.AST]]] = None,
) -> bool:
    """False when none of ``rules`` can find anything in ``source``.

    ``tree`` is ``ast.parse(source)``, or what ``reduce.reduce_tree`` keeps of it, with its node ``index``.
    """
    evidence = Evidence(tree, source, knowledge, index)
    return any(rule.screen(evidence) for rule in rules)
