"""Draw one whole frame of the live view from the app's state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame

from sim.snapshot import describe_site
from viz.live.overlays import (
    draw_caption,
    draw_help,
    draw_info,
    draw_inspector,
    inspector_lines,
)
from viz.live.palette import font
from viz.live.panels import draw_banner, draw_legend, draw_monitors
from viz.live.readout import draw_hover
from viz.live.text import HINT, draw_text
from viz.live.timeline import draw_timeline

if TYPE_CHECKING:
    from viz.live.app import LiveApp

PLOT_DAYS_AFTER_ASSESSMENT = 32


def plot_days(app: LiveApp, day: float) -> float:
    """The plot's x range: the run's days, cut to a month after day 28 while that is far."""
    run_days = max(arm.run_days() for arm in app.arms)
    ends = [arm.latest.plan.assessment_day for arm in app.arms]
    known = [end for end in ends if end is not None]
    end = min(run_days, max(known) + PLOT_DAYS_AFTER_ASSESSMENT) if known else run_days
    return max(float(end), day * 1.05, 1.0)


def render(app: LiveApp) -> None:
    """Draw everything onto ``app.screen``."""
    screen, theme, lay = app.screen, app.theme, app.layout
    t = lay.text_px
    screen.fill(theme.background)
    shown = [app.shown(index) for index in range(len(app.arms))]
    end_day = plot_days(app, max(data.day for data in shown))
    for arm, area, grid, data in zip(app.arms, lay.arms, app.grids, shown, strict=True):
        grid.draw(screen, data.resident, data.mobile, data.cytokine, app.now)
        draw_banner(screen, pygame.Rect(*grid.origin, *grid.view_px), data.outcome, t)
        highest = arm.highest_crs_grade(data.step)
        burden = arm.words.burden_label
        draw_monitors(screen, area.monitors, data.day, data.counts, theme, t, highest, burden)
        draw_timeline(screen, area.timeline, data.plan, data.day, end_day, theme, t)
    if lay.arms[0].title.w:
        _arm_titles(app)
    day = shown[0].day
    tables = []
    for index, arm in enumerate(app.arms):
        table = app.plot.cache.table(index, arm.store.frames)
        tables.append(table[table[:, 0] <= shown[index].day + 1e-9])
    app.plot.draw(
        screen,
        tables,
        end_day,
        [arm.name for arm in app.arms],
        marker_day=day if app.scrub_index is not None else None,
        words=app.arms[0].words,
    )
    draw_legend(screen, lay.legend, theme, t, lay.legend_columns, app.arms[0].words)
    if pygame.mouse.get_focused():
        draw_hover(app, pygame.mouse.get_pos())
    _scrubber(app, day)
    _status(app)
    app.manager.draw_ui(screen)
    if app.inspected is not None and app.inspector is not None:
        index, x, y = app.inspected
        if app.scrub_index is None:
            lines = inspector_lines(describe_site(app.arms[index].model, x, y))
        else:
            lines = inspector_lines(None)
        draw_inspector(screen, app.inspector[0], lines, theme, t, screen.get_rect())
    if app.guide.caption is not None:
        grids = [area.grid for area in lay.arms]
        across = grids[0].unionall(grids[1:]).inflate(-8, 0)
        draw_caption(screen, across, app.guide.caption, theme, t)
    if app.overlay == "help":
        draw_help(screen, theme, t)
    elif app.overlay == "info":
        draw_info(screen, theme, t)


def patients_note(app: LiveApp) -> str:
    """Whose patients the arms are (side by side)."""
    if app.config.own_patients:
        return "each arm its own trial population"
    return f"same patient: {app.arms[0].name} population"


def arm_titles(app: LiveApp, index: int) -> list[str]:
    """An arm's title, longest first: its scenario, seed and blasts (a lymphoma's tumour)
    at enrolment and at infusion (shorter forms for narrow columns)."""
    arm = app.arms[index]
    disease = arm.words.burden_label.lower()
    enrolment, infusion = arm.blast_pct_at()
    planned = arm.latest.plan.infusion_day
    if infusion is not None:
        at_infusion, short = f"{infusion:.1f}% at infusion", f"{infusion:.1f}% infused"
    elif planned is None:
        at_infusion, short = "no infusion", "no infusion"
    else:
        at_infusion, short = f"infusion day {planned}", f"infusion d{planned}"
    return [
        f"{arm.name} (seed {arm.seed}):  {disease} {enrolment:.1f}% at enrolment, {at_infusion}",
        f"{arm.name}: {disease} {enrolment:.1f}% at enrolment, {at_infusion}",
        f"{arm.name}: {disease} {enrolment:.1f}% enrolled, {short}",
    ]


def _arm_titles(app: LiveApp) -> None:
    """Every arm's title in the same form and size: the longest form that fits each
    column at 0.7 of the title size or more, shrunk until it fits."""
    rects = [area.title for area in app.layout.arms]
    titles = [arm_titles(app, index) for index in range(len(app.arms))]
    size = round(app.layout.text_px * 1.05)

    def fits(form: int, px: int) -> bool:
        face = font(px, True)
        return all(face.size(t[form])[0] <= r.w for t, r in zip(titles, rects, strict=True))

    form = next(
        (f for f in range(len(titles[0])) if fits(f, max(10, round(size * 0.7)))),
        len(titles[0]) - 1,
    )
    while size > 9 and not fits(form, size):
        size -= 1
    for index, rect in enumerate(rects):
        draw_text(
            screen=app.screen,
            text=titles[index][form],
            size=size,
            colour=app.theme.text,
            pos=rect.midleft,
            bold=True,
            anchor="midleft",
        )


def _scrubber(app: LiveApp, day: float) -> None:
    screen, theme, lay = app.screen, app.theme, app.layout
    t = lay.text_px
    small = max(9, round(t * 0.85))
    bar = lay.scrubber
    frames = app.arms[0].store.frames
    live = app.scrub_index is None
    button = lay.live_button
    pygame.draw.rect(screen, (0, 114, 178) if live else theme.panel, button, border_radius=6)
    pygame.draw.rect(screen, theme.panel_edge, button, 1, border_radius=6)
    draw_text(
        screen,
        "Live" if live else "Go live",
        small,
        (255, 255, 255) if live else theme.text,
        button.center,
        True,
        anchor="center",
    )
    pygame.draw.rect(screen, theme.panel, bar, border_radius=6)
    track = bar.inflate(-16, -bar.h + 6)
    pygame.draw.rect(screen, theme.site, track, border_radius=3)
    n = len(frames)
    fraction = 1.0 if live or n < 2 else app.scrub_index / (n - 1)
    x = round(track.x + fraction * track.w)
    pygame.draw.rect(
        screen,
        theme.panel_edge,
        pygame.Rect(track.x, track.y, x - track.x, track.h),
        border_radius=3,
    )
    pygame.draw.circle(screen, theme.accent, (x, track.centery), max(6, bar.h // 3))
    pygame.draw.circle(screen, (0, 158, 115), (x, track.centery), max(4, bar.h // 3 - 2))
    first = frames[0].day if frames else 0.0
    last = frames[-1].day if frames else 0.0
    label = (
        f"Rewind: drag back to any moment (day {first:.0f} to {last:.0f})"
        if live
        else f"Rewound to day {day:.1f} of {last:.1f}: Space or Go live to continue"
    )
    # the label sits in the half of the bar away from the knob, so the knob never covers it
    if x > track.centerx:
        draw_text(screen, label, small, theme.text, (track.x + 8, bar.centery), anchor="midleft")
    else:
        draw_text(
            screen, label, small, theme.text, (track.right - 8, bar.centery), anchor="midright"
        )


def _status(app: LiveApp) -> None:
    screen, theme, lay = app.screen, app.theme, app.layout
    t = lay.text_px
    small = max(9, round(t * 0.9))
    hint = app.status == HINT
    draw_text(
        screen,
        app.status,
        round(small * 1.1) if hint else small,
        theme.accent if hint else theme.text,
        lay.status.midleft,
        bold=hint,
        anchor="midleft",
    )
    arm = app.arms[0]
    state = "playing" if app.playing and app.scrub_index is None else "paused"
    right = (
        f"{' vs '.join(app.names)}  ·  seed {app.seed}  ·  {state}  ·  {app.speed} h/s"
        f"  ·  step {arm.step_count}"
    )
    if len(app.arms) > 1:
        right = f"{patients_note(app)}  ·  {right}"
    if app.guide.enabled:
        right = "GUIDED  ·  " + right
    recorder = app.captures.recorder
    if recorder is not None:
        right = f"REC {recorder.path}  ·  " + right
    draw_text(screen, right, small, theme.muted, lay.status.midright, anchor="midright")
