"""The knowledge base: which library names produce, transform or consume which kinds of values.

Everything here is data. The analysis in ``facts.py`` asks two questions of it:
``function_role(qualified_name)`` for a call through an imported name, and
``method_role(attribute)`` for a call on a value (``x.softmax(dim=1)``).
Other rules and issues add rows to these tables rather than keeping their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Dict, Iterable, Mapping, Optional, Tuple


class Role(Enum):
    """What a library call does to the values the analysis tracks."""

    SOFTMAX = "softmax"
    LOG_SOFTMAX = "log_softmax"
    SIGMOID = "sigmoid"
    ONE_HOT = "one_hot"
    ARGMAX = "argmax"
    RANDINT = "randint"
    RNG = "rng"  # returns a random generator whose integers()/randint() draw labels
    INT_ARRAY = "int_array"  # np.array / torch.tensor: literal lists are read for labels
    EXP = "exp"
    LOG = "log"
    LOG1P = "log1p"
    SUM = "sum"
    MEAN = "mean"
    MAX = "max"
    LOGSUMEXP = "logsumexp"
    DIVIDE = "divide"
    SUBTRACT = "subtract"
    ADD = "add"
    MULTIPLY = "multiply"
    DOT = "dot"
    WHERE = "where"
    KEEP_KIND = "keep_kind"  # clip, maximum, asarray, transpose...: the result holds what the input held
    EYE = "eye"
    ZEROS = "zeros"
    ARANGE = "arange"
    SOFTMAX_MODULE = "softmax_module"  # nn.Softmax(dim=1): an object that computes a softmax
    LOG_SOFTMAX_MODULE = "log_softmax_module"
    SIGMOID_MODULE = "sigmoid_module"
    SEQUENTIAL = "sequential"  # nn.Sequential / keras.Sequential: output of the last layer
    KERAS_LAYER = "keras_layer"  # a layer taking activation=...
    KERAS_ACTIVATION_LAYER = "keras_activation_layer"  # keras.layers.Activation("softmax")
    KERAS_MODEL = "keras_model"  # keras.Model(inputs, outputs)
    ENCODER = "encoder"  # sklearn LabelBinarizer / OneHotEncoder instances
    LABELED_DATASET = "labeled_dataset"  # returns features with integer class labels
    LOSS = "loss"  # a loss function: see LOSSES
    LOSS_CLASS = "loss_class"  # a loss object's constructor: see LOSSES


class Expects(Enum):
    """What a loss wants as its prediction argument."""

    PROBABILITIES = "probabilities"
    LOGITS = "logits"
    LOG_PROBABILITIES = "log-probabilities"


class Family(Enum):
    CATEGORICAL = "categorical"
    SPARSE_CATEGORICAL = "sparse categorical"
    BINARY = "binary"
    NEGATIVE_LOG_LIKELIHOOD = "negative log-likelihood"


@dataclass(frozen=True)
class Arg:
    """Where an argument sits in a call: its position and its keyword."""

    position: int
    keyword: str


@dataclass(frozen=True)
class LossSpec:
    name: str
    family: Family
    expects: Expects
    prediction: Arg
    target: Arg
    from_logits_keyword: bool = False  # Keras: from_logits=True switches to logits
    labels: str = "either"  # the label encoding the loss requires: "one_hot", "indices" or "either"


NUMPY_LIKE = ("numpy", "jax.numpy", "cupy", "autograd.numpy", "torch", "tensorflow", "tensorflow.math")
MATH = ("math",)


def _across(namespaces: Iterable[str], *names: str) -> Tuple[str, ...]:
    return tuple(f"{ns}.{name}" for ns in namespaces for name in names)


_KERAS_ROOTS = ("keras",)

FUNCTION_ROLES: Dict[str, Role] = {}


def _add(role: Role, names: Iterable[str]) -> None:
    for name in names:
        FUNCTION_ROLES[name] = role


_add(
    Role.SOFTMAX,
    (
        "scipy.special.softmax",
        "torch.softmax",
        "torch.nn.functional.softmax",
        "torch.special.softmax",
        "tensorflow.nn.softmax",
        "tensorflow.math.softmax",
        "keras.activations.softmax",
        "keras.ops.softmax",
        "keras.backend.softmax",
        "jax.nn.softmax",
        "flax.linen.softmax",
        "sklearn.utils.extmath.softmax",
    ),
)
_add(
    Role.LOG_SOFTMAX,
    (
        "scipy.special.log_softmax",
        "torch.log_softmax",
        "torch.nn.functional.log_softmax",
        "torch.special.log_softmax",
        "tensorflow.nn.log_softmax",
        "tensorflow.math.log_softmax",
        "keras.activations.log_softmax",
        "keras.ops.log_softmax",
        "jax.nn.log_softmax",
        "flax.linen.log_softmax",
    ),
)
_add(
    Role.SIGMOID,
    (
        "scipy.special.expit",
        "torch.sigmoid",
        "torch.nn.functional.sigmoid",
        "torch.special.expit",
        "tensorflow.sigmoid",
        "tensorflow.nn.sigmoid",
        "tensorflow.math.sigmoid",
        "keras.activations.sigmoid",
        "keras.ops.sigmoid",
        "keras.backend.sigmoid",
        "jax.nn.sigmoid",
        "jax.scipy.special.expit",
        "flax.linen.sigmoid",
    ),
)
_add(
    Role.ONE_HOT,
    (
        "keras.utils.to_categorical",
        "keras.utils.np_utils.to_categorical",
        "torch.nn.functional.one_hot",
        "tensorflow.one_hot",
        "jax.nn.one_hot",
        "sklearn.preprocessing.label_binarize",
        "pandas.get_dummies",
        "keras.ops.one_hot",
    ),
)
_add(Role.ARGMAX, _across(NUMPY_LIKE, "argmax") + ("tensorflow.argmax", "tensorflow.math.argmax"))
_add(Role.RANDINT, ("numpy.random.randint", "torch.randint", "jax.random.randint"))
_add(Role.RNG, ("numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator"))
_add(
    Role.INT_ARRAY,
    (
        "numpy.array",
        "numpy.asarray",
        "jax.numpy.array",
        "jax.numpy.asarray",
        "torch.tensor",
        "torch.as_tensor",
        "torch.LongTensor",
        "tensorflow.constant",
        "tensorflow.convert_to_tensor",
    ),
)
_add(Role.EXP, _across(NUMPY_LIKE + MATH, "exp"))
_add(Role.LOG, _across(NUMPY_LIKE + MATH, "log"))
_add(Role.LOG1P, _across(NUMPY_LIKE + MATH, "log1p"))
_add(Role.SUM, _across(NUMPY_LIKE, "sum") + ("tensorflow.reduce_sum", "tensorflow.math.reduce_sum", "keras.ops.sum"))
_add(Role.MEAN, _across(NUMPY_LIKE, "mean") + ("tensorflow.reduce_mean", "tensorflow.math.reduce_mean", "keras.ops.mean"))
_add(
    Role.MAX,
    _across(NUMPY_LIKE, "max", "amax", "nanmax")
    + ("tensorflow.reduce_max", "tensorflow.math.reduce_max", "keras.ops.max"),
)
_add(
    Role.LOGSUMEXP,
    (
        "scipy.special.logsumexp",
        "scipy.misc.logsumexp",
        "torch.logsumexp",
        "tensorflow.reduce_logsumexp",
        "tensorflow.math.reduce_logsumexp",
        "jax.nn.logsumexp",
        "jax.scipy.special.logsumexp",
        "keras.ops.logsumexp",
        "numpy.logaddexp.reduce",
    ),
)
_add(Role.DIVIDE, _across(NUMPY_LIKE, "divide", "true_divide") + ("torch.div",))
_add(Role.SUBTRACT, _across(NUMPY_LIKE, "subtract") + ("torch.sub",))
_add(Role.ADD, _across(NUMPY_LIKE, "add"))
_add(Role.MULTIPLY, _across(NUMPY_LIKE, "multiply") + ("torch.mul",))
_add(Role.DOT, _across(NUMPY_LIKE, "dot", "matmul") + ("torch.mm", "tensorflow.linalg.matmul"))
_add(Role.WHERE, _across(NUMPY_LIKE, "where"))
_add(
    Role.KEEP_KIND,
    _across(
        NUMPY_LIKE,
        "clip",
        "clamp",
        "maximum",
        "minimum",
        "copy",
        "transpose",
        "squeeze",
        "reshape",
        "ravel",
        "expand_dims",
        "atleast_2d",
        "ascontiguousarray",
        "nan_to_num",
    )
    + ("tensorflow.clip_by_value", "torch.clone", "jax.lax.stop_gradient"),
)
_add(Role.EYE, _across(NUMPY_LIKE, "eye", "identity"))
_add(Role.ZEROS, _across(NUMPY_LIKE, "zeros", "zeros_like"))
_add(Role.ARANGE, _across(NUMPY_LIKE, "arange") + ("builtins.range", "tensorflow.range"))
_add(Role.SOFTMAX_MODULE, ("torch.nn.Softmax", "torch.nn.Softmax2d", "keras.layers.Softmax"))
_add(Role.LOG_SOFTMAX_MODULE, ("torch.nn.LogSoftmax",))
_add(Role.SIGMOID_MODULE, ("torch.nn.Sigmoid",))
_add(Role.SEQUENTIAL, ("torch.nn.Sequential", "keras.Sequential", "keras.models.Sequential"))
_add(Role.KERAS_LAYER, ("keras.layers.Dense", "keras.layers.core.Dense", "keras.layers.Conv2D", "keras.layers.Conv1D"))
_add(Role.KERAS_ACTIVATION_LAYER, ("keras.layers.Activation",))
_add(Role.KERAS_MODEL, ("keras.Model", "keras.models.Model"))
_add(
    Role.ENCODER,
    ("sklearn.preprocessing.LabelBinarizer", "sklearn.preprocessing.OneHotEncoder", "sklearn.preprocessing.MultiLabelBinarizer"),
)

_add(Role.INT_ARRAY, _across(NUMPY_LIKE, "array", "asarray"))

_add(
    Role.LABELED_DATASET,
    tuple(f"keras.datasets.{name}.load_data" for name in ("mnist", "fashion_mnist", "cifar10", "cifar100"))
    + tuple(f"sklearn.datasets.{name}" for name in ("load_iris", "load_digits", "load_wine")),
)
GUARDING_FUNCTIONS = frozenset({"clip", "clamp", "maximum", "minimum", "clip_by_value", "nan_to_num"})

# Attribute calls on values (``logits.softmax(dim=1)``), used when the receiver is not an import.
METHOD_ROLES: Dict[str, Role] = {
    "softmax": Role.SOFTMAX,
    "log_softmax": Role.LOG_SOFTMAX,
    "sigmoid": Role.SIGMOID,
    "argmax": Role.ARGMAX,
    "exp": Role.EXP,
    "log": Role.LOG,
    "log1p": Role.LOG1P,
    "sum": Role.SUM,
    "mean": Role.MEAN,
    "max": Role.MAX,
    "amax": Role.MAX,
    "logsumexp": Role.LOGSUMEXP,
    "div": Role.DIVIDE,
    "sub": Role.SUBTRACT,
    "mul": Role.MULTIPLY,
    "dot": Role.DOT,
    "matmul": Role.DOT,
}
KIND_KEEPING_METHODS = frozenset(
    {
        "clip",
        "clamp",
        "clip_",
        "clamp_",
        "copy",
        "clone",
        "detach",
        "cpu",
        "cuda",
        "numpy",
        "to",
        "float",
        "double",
        "half",
        "long",
        "int",
        "astype",
        "reshape",
        "view",
        "squeeze",
        "unsqueeze",
        "flatten",
        "ravel",
        "transpose",
        "contiguous",
        "type",
        "type_as",
        "item",
        "tolist",
    }
)
# The tensor methods that mean the same as the function of that name only on data, never on modules.
TENSOR_ONLY_METHODS = frozenset({"softmax", "log_softmax", "sigmoid"})

# Keras activation names in activation="..." and Activation("...").
ACTIVATION_NAMES: Dict[str, Role] = {
    "softmax": Role.SOFTMAX,
    "sigmoid": Role.SIGMOID,
    "log_softmax": Role.LOG_SOFTMAX,
    "linear": Role.KEEP_KIND,
}

_TORCH_INPUT = Arg(0, "input")
_TORCH_TARGET = Arg(1, "target")
_KERAS_TRUE = Arg(0, "y_true")
_KERAS_PRED = Arg(1, "y_pred")


def _loss(name: str, family: Family, expects: Expects, prediction: Arg, target: Arg, keras: bool = False) -> LossSpec:
    return LossSpec(name, family, expects, prediction, target, from_logits_keyword=keras)


_LOSS_TABLE = (
    # PyTorch: functions take (input, target); modules are constructed, then called the same way.
    ("torch.nn.functional.cross_entropy", Family.CATEGORICAL, Expects.LOGITS, _TORCH_INPUT, _TORCH_TARGET, False, Role.LOSS),
    ("torch.nn.CrossEntropyLoss", Family.CATEGORICAL, Expects.LOGITS, _TORCH_INPUT, _TORCH_TARGET, False, Role.LOSS_CLASS),
    ("torch.nn.functional.nll_loss", Family.NEGATIVE_LOG_LIKELIHOOD, Expects.LOG_PROBABILITIES, _TORCH_INPUT, _TORCH_TARGET, False, Role.LOSS),
    ("torch.nn.NLLLoss", Family.NEGATIVE_LOG_LIKELIHOOD, Expects.LOG_PROBABILITIES, _TORCH_INPUT, _TORCH_TARGET, False, Role.LOSS_CLASS),
    ("torch.nn.functional.binary_cross_entropy", Family.BINARY, Expects.PROBABILITIES, _TORCH_INPUT, _TORCH_TARGET, False, Role.LOSS),
    ("torch.nn.BCELoss", Family.BINARY, Expects.PROBABILITIES, _TORCH_INPUT, _TORCH_TARGET, False, Role.LOSS_CLASS),
    ("torch.nn.functional.binary_cross_entropy_with_logits", Family.BINARY, Expects.LOGITS, _TORCH_INPUT, _TORCH_TARGET, False, Role.LOSS),
    ("torch.nn.BCEWithLogitsLoss", Family.BINARY, Expects.LOGITS, _TORCH_INPUT, _TORCH_TARGET, False, Role.LOSS_CLASS),
    # Keras 3 and tf.keras: (y_true, y_pred), probabilities unless from_logits=True.
    ("keras.losses.categorical_crossentropy", Family.CATEGORICAL, Expects.PROBABILITIES, _KERAS_PRED, _KERAS_TRUE, True, Role.LOSS),
    ("keras.losses.CategoricalCrossentropy", Family.CATEGORICAL, Expects.PROBABILITIES, _KERAS_PRED, _KERAS_TRUE, True, Role.LOSS_CLASS),
    ("keras.metrics.categorical_crossentropy", Family.CATEGORICAL, Expects.PROBABILITIES, _KERAS_PRED, _KERAS_TRUE, True, Role.LOSS),
    ("keras.backend.categorical_crossentropy", Family.CATEGORICAL, Expects.PROBABILITIES, Arg(1, "output"), Arg(0, "target"), True, Role.LOSS),
    ("keras.losses.sparse_categorical_crossentropy", Family.SPARSE_CATEGORICAL, Expects.PROBABILITIES, _KERAS_PRED, _KERAS_TRUE, True, Role.LOSS),
    ("keras.losses.SparseCategoricalCrossentropy", Family.SPARSE_CATEGORICAL, Expects.PROBABILITIES, _KERAS_PRED, _KERAS_TRUE, True, Role.LOSS_CLASS),
    ("keras.losses.binary_crossentropy", Family.BINARY, Expects.PROBABILITIES, _KERAS_PRED, _KERAS_TRUE, True, Role.LOSS),
    ("keras.losses.BinaryCrossentropy", Family.BINARY, Expects.PROBABILITIES, _KERAS_PRED, _KERAS_TRUE, True, Role.LOSS_CLASS),
    # TensorFlow and JAX functional losses: keyword arguments name the parts.
    ("tensorflow.nn.softmax_cross_entropy_with_logits", Family.CATEGORICAL, Expects.LOGITS, Arg(1, "logits"), Arg(0, "labels"), False, Role.LOSS),
    ("tensorflow.nn.sparse_softmax_cross_entropy_with_logits", Family.SPARSE_CATEGORICAL, Expects.LOGITS, Arg(1, "logits"), Arg(0, "labels"), False, Role.LOSS),
    ("tensorflow.nn.sigmoid_cross_entropy_with_logits", Family.BINARY, Expects.LOGITS, Arg(1, "logits"), Arg(0, "labels"), False, Role.LOSS),
    ("optax.softmax_cross_entropy", Family.CATEGORICAL, Expects.LOGITS, Arg(0, "logits"), Arg(1, "labels"), False, Role.LOSS),
    ("optax.softmax_cross_entropy_with_integer_labels", Family.SPARSE_CATEGORICAL, Expects.LOGITS, Arg(0, "logits"), Arg(1, "labels"), False, Role.LOSS),
    ("optax.sigmoid_binary_cross_entropy", Family.BINARY, Expects.LOGITS, Arg(0, "logits"), Arg(1, "labels"), False, Role.LOSS),
    ("optax.losses.softmax_cross_entropy", Family.CATEGORICAL, Expects.LOGITS, Arg(0, "logits"), Arg(1, "labels"), False, Role.LOSS),
    ("optax.losses.sigmoid_binary_cross_entropy", Family.BINARY, Expects.LOGITS, Arg(0, "logits"), Arg(1, "labels"), False, Role.LOSS),
    # scikit-learn scores probabilities.
    ("sklearn.metrics.log_loss", Family.CATEGORICAL, Expects.PROBABILITIES, Arg(1, "y_pred"), Arg(0, "y_true"), False, Role.LOSS),
)

# Which label encoding each loss needs; PyTorch's cross_entropy takes either, so it is absent.
_LABELS_REQUIRED = {
    "keras.losses.categorical_crossentropy": "one_hot",
    "keras.losses.CategoricalCrossentropy": "one_hot",
    "keras.metrics.categorical_crossentropy": "one_hot",
    "keras.backend.categorical_crossentropy": "one_hot",
    "keras.losses.sparse_categorical_crossentropy": "indices",
    "keras.losses.SparseCategoricalCrossentropy": "indices",
    "tensorflow.nn.softmax_cross_entropy_with_logits": "one_hot",
    "tensorflow.nn.sparse_softmax_cross_entropy_with_logits": "indices",
    "optax.softmax_cross_entropy": "one_hot",
    "optax.losses.softmax_cross_entropy": "one_hot",
    "optax.softmax_cross_entropy_with_integer_labels": "indices",
    "torch.nn.functional.nll_loss": "indices",
    "torch.nn.NLLLoss": "indices",
}

LOSSES: Dict[str, LossSpec] = {}
for _name, _family, _expects, _pred, _target, _keras, _role in _LOSS_TABLE:
    _spec = _loss(_name.rsplit(".", 1)[1], _family, _expects, _pred, _target, keras=_keras)
    LOSSES[_name] = replace(_spec, labels=_LABELS_REQUIRED.get(_name, "either"))
    FUNCTION_ROLES[_name] = _role

# compile(loss="...") strings, as Keras resolves them.
KERAS_LOSS_STRINGS: Dict[str, str] = {
    "categorical_crossentropy": "keras.losses.categorical_crossentropy",
    "sparse_categorical_crossentropy": "keras.losses.sparse_categorical_crossentropy",
    "binary_crossentropy": "keras.losses.binary_crossentropy",
}

# Spellings that reach the same objects under another root.
_ROOT_ALIASES = (
    ("tensorflow.keras.", "keras."),
    ("tensorflow.python.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.src.", "keras."),
    ("tensorflow.compat.v1.", "tensorflow."),
    ("tensorflow.compat.v2.", "tensorflow."),
    ("torch.nn.modules.activation.", "torch.nn."),
    ("torch.nn.modules.loss.", "torch.nn."),
    ("jax.experimental.stax.", "jax.nn."),
)


def canonical(qualified_name: str) -> str:
    """Map the equivalent spellings of an import path onto the one the tables use."""
    for prefix, replacement in _ROOT_ALIASES:
        if qualified_name.startswith(prefix):
            return replacement + qualified_name[len(prefix) :]
    return qualified_name


@dataclass(frozen=True, eq=False)
class Knowledge:
    """The tables one run consults: the built-in ones, plus what a project's configuration adds."""

    roles: Mapping[str, Role]
    losses: Mapping[str, LossSpec]

    def function_role(self, qualified_name: str) -> Optional[Role]:
        return self.roles.get(canonical(qualified_name))

    def loss_spec(self, qualified_name: str) -> Optional[LossSpec]:
        return self.losses.get(canonical(qualified_name))

    def extended(
        self, roles: Optional[Mapping[str, Role]] = None, losses: Optional[Mapping[str, LossSpec]] = None
    ) -> "Knowledge":
        """These tables with a project's own names added (``mylib.nn.softmax`` as a softmax)."""
        merged_roles = dict(self.roles)
        merged_roles.update({canonical(k): v for k, v in (roles or {}).items()})
        merged_losses = dict(self.losses)
        merged_losses.update({canonical(k): v for k, v in (losses or {}).items()})
        for name in merged_losses:
            merged_roles.setdefault(name, Role.LOSS)
        return Knowledge(merged_roles, merged_losses)


BUILT_IN = Knowledge(FUNCTION_ROLES, LOSSES)


def function_role(qualified_name: str) -> Optional[Role]:
    return BUILT_IN.function_role(qualified_name)


def loss_spec(qualified_name: str) -> Optional[LossSpec]:
    return BUILT_IN.loss_spec(qualified_name)


def framework_of(qualified_name: str) -> str:
    """The library a name belongs to, as the messages name it ("numpy", "torch", ...)."""
    root = canonical(qualified_name).split(".", 1)[0]
    return {"tensorflow": "tensorflow", "keras": "keras", "torch": "torch", "jax": "jax", "flax": "jax", "optax": "jax"}.get(
        root, "numpy"
    )


def trigger_tokens(knowledge: "Knowledge" = BUILT_IN) -> Tuple[str, ...]:
    """Substrings of which a file must contain at least one for any rule to have evidence.

    Every finding needs a probability from a softmax or sigmoid (by API, by the
    ``activation=`` string or by a hand-written ``exp``); these are the last
    segments of the names that produce one, so the list follows the tables.
    """
    producing = {Role.SOFTMAX, Role.SIGMOID, Role.EXP, Role.SOFTMAX_MODULE, Role.SIGMOID_MODULE}
    tokens = {name.rsplit(".", 1)[1] for name, role in knowledge.roles.items() if role in producing}
    tokens.update(name for name, role in METHOD_ROLES.items() if role in producing)
    tokens.update(name for name, role in ACTIVATION_NAMES.items() if role in (Role.SOFTMAX, Role.SIGMOID))
    return tuple(sorted(tokens))
