"""Downstream evaluation: does the augmented table train better models on held-out real rows?"""

from augment.evaluate._harness import BASELINES, Evaluation
from augment.evaluate._metrics import classification_metrics, expected_calibration_error
from augment.evaluate._models import MODELS, make_model
from augment.evaluate._truth import Teacher, coverage, label_noise, teacher_relabel

__all__ = ["BASELINES", "MODELS", "Evaluation", "Teacher", "classification_metrics",
           "coverage", "expected_calibration_error", "label_noise", "make_model",
           "teacher_relabel"]
