"""Labelers: separate, interpretable models that label synthetic rows and say why."""

from augment.labelers._consistency import consistency_report
from augment.labelers._ebm import EBMLabeler
from augment.labelers._logistic import LogisticLabeler
from augment.labelers._registry import StoredLabeler, list_versions, load, save
from augment.labelers._rules import RuleLabeler, load_rules
from augment.labelers._tree import DecisionTreeLabeler
from augment.labelers.base import MAX_LABELER_ECE, WEAK_LABELER_BALANCED_ACCURACY, BaseLabeler

#: Names accepted wherever a labeler can be given as a string.
LABELERS = {cls.name: cls for cls in (DecisionTreeLabeler, LogisticLabeler, RuleLabeler,
                                      EBMLabeler, StoredLabeler)}

__all__ = [
    "LABELERS",
    "MAX_LABELER_ECE",
    "WEAK_LABELER_BALANCED_ACCURACY",
    "BaseLabeler",
    "DecisionTreeLabeler",
    "EBMLabeler",
    "LogisticLabeler",
    "RuleLabeler",
    "StoredLabeler",
    "consistency_report",
    "list_versions",
    "load",
    "load_rules",
    "save",
]
