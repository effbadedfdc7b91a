"""losslint: finds loss-function and gradient mistakes in training code."""

__version__ = "0.1.0"
