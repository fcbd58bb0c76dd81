"""The installed packages sit inside the ranges augment declares (the deep pathways copy
ctgan / SDV internals, so a version outside the tested range must fail here, not at run time)."""

from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REQUIREMENTS = [Requirement(r) for r in metadata.requires("augment") or []]


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _ids(reqs):
    return [str(r) for r in reqs]


@pytest.mark.parametrize("req", [r for r in REQUIREMENTS if r.marker is None],
                         ids=_ids([r for r in REQUIREMENTS if r.marker is None]))
def test_core_dependency_installed_inside_its_range(req):
    version = _installed(req.name)
    assert version is not None, f"{req.name} is a dependency of augment but is not installed"
    assert req.specifier.contains(version, prereleases=True), (
        f"{req.name} {version} is installed but augment declares {req}. Fix: install a version "
        f"inside the range, or test the new version and move the bounds in pyproject.toml.")


@pytest.mark.parametrize("req", [r for r in REQUIREMENTS if r.marker is not None],
                         ids=_ids([r for r in REQUIREMENTS if r.marker is not None]))
def test_installed_extra_inside_its_range(req):
    version = _installed(req.name)
    if version is None:
        pytest.skip(f"optional {req.name} not installed")
    assert req.specifier.contains(version, prereleases=True), (
        f"{req.name} {version} is installed but augment declares {req}.")


@pytest.mark.parametrize("name", ["sdv", "ctgan"])
def test_copied_internals_are_pinned_to_a_tested_minor(name):
    req = next(r for r in REQUIREMENTS if canonicalize_name(r.name) == name and r.marker is None)
    upper = [s for s in req.specifier if s.operator in ("<", "<=", "~=", "==")]
    lower = [s for s in req.specifier if s.operator in (">=", ">", "~=", "==")]
    assert upper and lower, f"{name} needs both bounds (augment copies its internals); got {req}"


def test_the_range_check_can_fail():
    req = Requirement("sdv>=2.0,<2.1")
    assert req.specifier.contains("2.0.0") and not req.specifier.contains("2.1.0")
    assert not req.specifier.contains("1.17.0")


def test_copied_upstream_code_is_the_recorded_version():
    """The deep pathways copy ctgan / sdv code (augment.generators._deep_models.UPSTREAM);
    a patch release inside the bounds that changes a copied source must fail here."""
    from augment.generators._deep_models import upstream_drift

    drift = upstream_drift()
    assert not drift, "\n".join(drift)


def test_upstream_drift_names_the_copy_to_resync():
    from augment.generators._deep_models import UPSTREAM, upstream_drift

    name = "ctgan.synthesizers.ctgan.CTGAN.fit"
    drift = upstream_drift({name: ("0" * 16, UPSTREAM[name][1])})
    assert len(drift) == 1
    assert name in drift[0] and "re-sync FocusedCTGAN.fit" in drift[0]
    assert "recorded 0000000000000000" in drift[0]
    assert upstream_drift({name: UPSTREAM[name]}) == []
