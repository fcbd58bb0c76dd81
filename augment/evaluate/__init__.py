"""Downstream evaluation: does the augmented table train better models on held-out real rows?"""

from augment.evaluate._harness import BASELINES, Evaluation
from augment.evaluate._metrics import classification_metrics, expected_calibration_error
from augment.evaluate._models import MODELS, make_model

__all__ = ["BASELINES", "MODELS", "Evaluation", "classification_metrics",
           "expected_calibration_error", "make_model"]
