"""Gates: which synthetic rows to keep, each decision with a score and a reason."""

from augment.gates._class_check import ClassCheckGate
from augment.gates._constraints import Constraint, ConstraintGate, discover_constraints
from augment.gates._distance import DistanceGate, dcr_distributions
from augment.gates._distortion import measure_distortion
from augment.gates._joint import JointGate
from augment.gates._label import ACCEPTANCES, LABEL_POLICIES, LabelAgreementGate
from augment.gates._marginal import MarginalGate
from augment.gates._novelty import NoveltyGate
from augment.gates._realism import RealismGate
from augment.gates._two_sample import (
    TwoSampleGate,
    permutation_p_value,
    two_sample_auc,
    two_sample_scores,
)
from augment.gates._validity import ValidityGate
from augment.gates.base import BatchGate, BatchResult, RowGate, row_result

#: Names accepted wherever a gate can be given as a string.
ROW_GATES = {cls.name: cls for cls in (ValidityGate, NoveltyGate, ConstraintGate, DistanceGate,
                                       ClassCheckGate, RealismGate)}
BATCH_GATES = {cls.name: cls for cls in (MarginalGate, TwoSampleGate, JointGate)}

__all__ = [
    "ACCEPTANCES",
    "BATCH_GATES",
    "LABEL_POLICIES",
    "ROW_GATES",
    "BatchGate",
    "BatchResult",
    "ClassCheckGate",
    "Constraint",
    "ConstraintGate",
    "DistanceGate",
    "JointGate",
    "LabelAgreementGate",
    "MarginalGate",
    "NoveltyGate",
    "RealismGate",
    "RowGate",
    "TwoSampleGate",
    "ValidityGate",
    "dcr_distributions",
    "discover_constraints",
    "measure_distortion",
    "permutation_p_value",
    "row_result",
    "two_sample_auc",
    "two_sample_scores",
]
