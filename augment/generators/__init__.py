"""Generation pathways: fit on real rows, sample rows aimed at a region."""

from augment.generators._arf import ARFGenerator
from augment.generators._forest_flow import ForestFlowGenerator
from augment.generators._gaussian_copula import GaussianCopulaGenerator
from augment.generators._none import NoneGenerator
from augment.generators._perturb import PerturbationGenerator
from augment.generators._sdv_deep import CopulaGANGenerator, CTGANGenerator, TVAEGenerator
from augment.generators._smote import SMOTEGenerator
from augment.generators.base import BaseGenerator

#: Names accepted wherever a generator can be given as a string.
GENERATORS = {cls.name: cls for cls in (
    GaussianCopulaGenerator, CTGANGenerator, TVAEGenerator, CopulaGANGenerator, ARFGenerator,
    ForestFlowGenerator, PerturbationGenerator, SMOTEGenerator, NoneGenerator)}

__all__ = ["GENERATORS", "ARFGenerator", "BaseGenerator", "CTGANGenerator", "CopulaGANGenerator",
           "ForestFlowGenerator", "GaussianCopulaGenerator", "NoneGenerator",
           "PerturbationGenerator", "SMOTEGenerator", "TVAEGenerator"]
