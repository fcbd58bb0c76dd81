"""Labelers: separate, interpretable models that label synthetic rows and say why."""

from augment.labelers._tree import DecisionTreeLabeler
from augment.labelers.base import WEAK_LABELER_BALANCED_ACCURACY, BaseLabeler

#: Names accepted wherever a labeler can be given as a string.
LABELERS = {cls.name: cls for cls in (DecisionTreeLabeler,)}

__all__ = ["LABELERS", "WEAK_LABELER_BALANCED_ACCURACY", "BaseLabeler", "DecisionTreeLabeler"]
