"""The tumour microenvironment: how a dense lymphoma mass resists the T-cells inside it.

Biology. In large B-cell lymphoma the commonest reason CAR T-cells fail without losing
their antigen is the tumour's own surroundings: myeloid-derived suppressor cells and
tumour-associated macrophages, TGF-beta, PD-L1 and interferon-driven suppressive
programmes (Jain et al. Blood 2021), which blunt killing and push T-cells into exhausted
states (Deng et al. Nat Med 2020), and dense tumour with its stroma that keeps T-cells
out (the immune-excluded phenotype; Joyce & Fearon Science 2015). B-ALL in the marrow has
no such mass, so these rules are off there (``microenvironment.hostility = 0``).

The model does not place suppressive cells; it lets the suppression scale with the tumour
around a T-cell, as the myeloid cells and cytokines that make it do: the *suppression* a
T-cell feels is ``hostility x (tumour neighbours / 8)``, where a tumour neighbour is a
site holding a lymphoma cell (CD19-positive or not) and ``hostility`` (0-1) is the
patient's (``patient.microenvironment_hostility``). Three rules follow from it, each
scaled by its own parameter of ``[microenvironment]``:

- **killing is suppressed**: an effector's kill chance is multiplied by
  ``1 - kill_suppression x suppression`` (:func:`kill_chance`);
- **exhaustion comes faster**: each engaged hour counts ``1 + exhaustion_gain x
  suppression`` hours toward exhaustion (:func:`exhaustion_factor`);
- **dense tumour excludes T-cells**: a move onto a site holding a tumour cell fails with
  chance ``exclusion x hostility`` (:func:`move_fails`, used by ``TCell.move`` and the
  numpy walk of ``sim.movement``).

A fourth effect is systemic, not local: the patient's suppressive myeloid cells (blood
monocytic MDSCs, which suppress T-cell proliferation; in LBCL patients with many of them
axi-cel's median peak was 4 times lower: Jain et al. Blood 2021) lower every CAR T-cell's
division chance per kill to ``1 - expansion_suppression x hostility`` of its value,
wherever the cell is. Being the same for every cell of a patient it is a chance of
:class:`sim.chances.StepChances` (``car_t_division_per_kill``), not a function here. It is
off (``expansion_suppression = 0``): at 0.5 it lowered the peak of the more hostile half
of patients 1.9-fold (Jain: 4-fold) and already took overall response to 54% with too few
complete responses (docs/validation.md, T15).

With ``hostility = 0`` every function returns its input unchanged and draws no random
number, so a run without a hostile tumour is bit for bit what it was without this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents.kinds import BLASTS
from agents.surroundings import MOORE_NEIGHBOURS

if TYPE_CHECKING:
    from agents.surroundings import Surroundings


def hostility(model: Surroundings) -> float:
    """The patient's tumour hostility, 0-1 (``microenvironment.hostility``)."""
    return float(model.parameters.microenvironment.hostility)


def suppression_at(model: Surroundings, site: int) -> float:
    """The suppression a T-cell on ``site`` feels: hostility x (tumour neighbours / 8)."""
    level = hostility(model)
    if level == 0.0:
        return 0.0
    tissue = model.tissue
    tumour = sum(1 for n in tissue.sites_around(site) if tissue.resident_kind_at(n) in BLASTS)
    return level * tumour / MOORE_NEIGHBOURS


def kill_chance(model: Surroundings, base: float, suppression: float) -> float:
    """An effector's kill chance under ``suppression``: ``base x (1 - kill_suppression x
    suppression)``."""
    if suppression == 0.0:
        return base
    return base * (1.0 - model.parameters.microenvironment.kill_suppression * suppression)


def exhaustion_factor(model: Surroundings, suppression: float) -> float:
    """Hours toward exhaustion per engaged hour: ``1 + exhaustion_gain x suppression``."""
    if suppression == 0.0:
        return 1.0
    return 1.0 + model.parameters.microenvironment.exhaustion_gain * suppression


def exclusion_chance(model: Surroundings) -> float:
    """Chance that a T-cell's move onto a tumour site fails: ``exclusion x hostility``."""
    return model.parameters.microenvironment.exclusion * hostility(model)


def move_fails(model: Surroundings, target: int) -> bool:
    """Whether a T-cell's move onto ``target`` is kept out by dense tumour (one random
    draw, only when the target holds a tumour cell and the exclusion chance is above 0)."""
    chance = exclusion_chance(model)
    if chance == 0.0:
        return False
    if model.tissue.resident_kind_at(target) not in BLASTS:
        return False
    return model.random.random() < chance
