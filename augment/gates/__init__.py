"""Gates: which synthetic rows to keep, each decision with a score and a reason."""

from augment.gates._label import LABEL_POLICIES, LabelAgreementGate
from augment.gates._marginal import MarginalGate
from augment.gates._novelty import NoveltyGate
from augment.gates._two_sample import TwoSampleGate, two_sample_auc
from augment.gates._validity import ValidityGate
from augment.gates.base import BatchGate, BatchResult, RowGate, row_result

#: Names accepted wherever a gate can be given as a string.
ROW_GATES = {cls.name: cls for cls in (ValidityGate, NoveltyGate)}
BATCH_GATES = {cls.name: cls for cls in (MarginalGate, TwoSampleGate)}

__all__ = [
    "BATCH_GATES",
    "LABEL_POLICIES",
    "ROW_GATES",
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
