"""Gates: which synthetic rows to keep, each decision with a score and a reason."""

from augment.gates._label import LABEL_POLICIES, LabelAgreementGate
from augment.gates._marginal import MarginalGate
from augment.gates._novelty import NoveltyGate
from augment.gates._two_sample import TwoSampleGate, two_sample_auc
from augment.gates._validity import ValidityGate
from augment.gates.base import BatchGate, BatchResult, RowGate, row_result

__all__ = [
    "LABEL_POLICIES",
    "BatchGate",
    "BatchResult",
    "LabelAgreementGate",
    "MarginalGate",
    "NoveltyGate",
    "RowGate",
    "TwoSampleGate",
    "ValidityGate",
    "row_result",
    "two_sample_auc",
]
