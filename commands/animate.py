"""The ``animate`` command: open the live view, or render a screenshot or a video headless.

``uv run main.py`` runs it on ``classroom``. With no display it prints one line that
points to ``run``, ``--screenshot`` and ``--record`` and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commands.options import add_engine_option, add_override_option, positive_int, seed
from sim.engine_choice import DEFAULT_ENGINE
from sim.errors import UserInputError
from viz.live.defaults import BASE_SIZE, DEFAULT_CAPTURES
from viz.live.launch import Capture, run_live
from viz.live.speeds import SPEEDS_HOURS_PER_SECOND, nearest_speed

DEFAULT_SCENARIO = "classroom"
MIN_SPEED, MAX_SPEED = SPEEDS_HOURS_PER_SECOND[0], SPEEDS_HOURS_PER_SECOND[-1]
MAX_AT_DAY = 3650


def _check_speed(speed: int | None) -> None:
    """Refuse a speed outside the steps' range; say which step a value between steps gets."""
    if speed is None:
        return
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise UserInputError(
            f"--speed {speed}: give {MIN_SPEED} to {MAX_SPEED} simulated hours per second"
        )
    nearest = nearest_speed(speed)
    if nearest != speed:
        print(
            f"animate: --speed {speed} runs at {nearest} hours per second (the nearest of "
            f"{', '.join(map(str, SPEEDS_HOURS_PER_SECOND))})",
            file=sys.stderr,
        )


def _size(text: str) -> tuple[int, int]:
    width, sep, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT such as 1280x720, got {text!r}"
        ) from None
    if not sep or not (640 <= size[0] <= 7680 and 360 <= size[1] <= 4320):
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT from 640x360 to 7680x4320, got {text!r}"
        )
    return size


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``animate`` to ``subparsers``."""
    parser = subparsers.add_parser(
        "animate",
        help="the live teaching view (the default command)",
        description="Open the live view of a scenario, or two side by side (same seed, in "
        "step). Press H in the window for every key.",
    )
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"one or two scenario names or .toml files (default: {DEFAULT_SCENARIO})",
    )
    parser.add_argument("--seed", type=seed, default=None, help="random seed (default: 1)")
    add_override_option(parser)
    parser.add_argument("--fullscreen", action="store_true", help="open fullscreen")
    parser.add_argument(
        "--projector", action="store_true", help="light theme with larger text, for a projector"
    )
    parser.add_argument(
        "--size",
        type=_size,
        default=BASE_SIZE,
        metavar="WxH",
        help=f"window size in px (default: {BASE_SIZE[0]}x{BASE_SIZE[1]})",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="FILE.png",
        help="render one frame headless, save it and exit",
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE.mp4|FILE.gif",
        help="render --frames frames headless (playing) into a video and exit",
    )
    parser.add_argument(
        "--frames",
        type=positive_int,
        default=300,
        help=(
            "frames to record (default: 300: 10 s of MP4 at 30 frames a second, 20 s of "
            "GIF at 15; at most 108000 for an MP4, an hour, and 900 for a GIF, which is "
            "held in memory until it is written)"
        ),
    )
    parser.add_argument(
        "--at-day",
        type=float,
        default=None,
        metavar="DAY",
        help="with --screenshot or --record: first run to this day",
    )
    parser.add_argument(
        "--speed",
        type=int,
        default=None,
        metavar="HOURS",
        help=f"simulated hours per second of playback ({MIN_SPEED} to {MAX_SPEED}; "
        "other values go to the nearest step, and say so)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_CAPTURES,
        metavar="DIR",
        help="folder for the window's screenshots (S), videos (V), plot tables (E, CSV) and "
        f"saved views (Ctrl+S), created when first used (default: {DEFAULT_CAPTURES})",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="STATE.json",
        help="open a view saved with Ctrl+S (scenarios, seed, sliders, buttons pressed, "
        "the moment shown); the scenario arguments are then taken from the file",
    )
    parser.add_argument(
        "--guided",
        action="store_true",
        help="guided mode (G in the window): pause at the infusion, the first kill, CRS "
        "grade 3, B-cell aplasia, remission and relapse, with one sentence each",
    )
    parser.add_argument(
        "--patients",
        choices=("shared", "own"),
        default="shared",
        help="side by side: 'shared' (default) puts the same patient in both arms, drawn "
        "from the first arm's patient population; 'own': each arm draws from its own trial "
        "population",
    )
    add_engine_option(parser, default=DEFAULT_ENGINE)  # the live view starts without numba
    parser.set_defaults(func=command_animate)


def command_animate(args: argparse.Namespace) -> int:
    """Run ``animate``; bad input raises :class:`UserInputError`."""
    from viz.live.app import LiveConfig

    if args.resume is not None:
        from viz.live.state import read_state

        if args.scenarios or args.overrides:
            raise UserInputError(
                "animate --resume: the scenarios and --set values come from the file; drop them"
            )
        given = [
            option
            for option, used in (
                ("--seed", args.seed is not None),
                ("--patients", args.patients != "shared"),
                ("--guided", args.guided),
            )
            if used
        ]
        if given:
            raise UserInputError(
                f"animate --resume: {', '.join(given)} come from the file; drop them"
            )
        names = [str(name) for name in read_state(args.resume)["scenarios"]]
    else:
        names = list(args.scenarios) or [DEFAULT_SCENARIO]
    if len(names) > 2:
        raise UserInputError(f"animate: at most two scenarios side by side, got {len(names)}")
    if args.screenshot is not None and args.screenshot.suffix.lower() != ".png":
        raise UserInputError(f"--screenshot {args.screenshot}: the file must end in .png")
    for path in (args.screenshot, args.record):
        if path is not None and not path.resolve().parent.exists():
            raise UserInputError(f"{path}: the folder {path.parent} does not exist")
    if args.at_day is not None and args.screenshot is None and args.record is None:
        raise UserInputError(
            f"--at-day {args.at_day:g}: only with --screenshot or --record (the window opens "
            "a few days before the infusion; drag the scrubber or play to move)"
        )
    if args.at_day is not None and not 0 <= args.at_day <= MAX_AT_DAY:
        raise UserInputError(f"--at-day {args.at_day:g}: give a day from 0 to {MAX_AT_DAY}")
    _check_speed(args.speed)
    if args.record is not None:
        from viz.live.recording import check_frames, check_video_path

        check_video_path(args.record)
        check_frames(args.record, args.frames)
    from sim.loader import load_scenario

    for name in names:  # bad input is reported before any window opens
        days = load_scenario(name, list(args.overrides)).time.days
        if args.at_day is not None and args.at_day > days:
            raise UserInputError(
                f"--at-day {args.at_day:g}: {name} runs for {days} days; give 0 to {days}"
            )
    config = LiveConfig(
        scenarios=names,
        seed=1 if args.seed is None else args.seed,
        overrides=list(args.overrides),
        projector=args.projector,
        fullscreen=args.fullscreen and not args.screenshot,
        size=args.size,
        out=args.out,
        own_patients=args.patients == "own",
        guided=args.guided,
        resume=args.resume,
        engine=args.engine,
    )
    capture = None
    if args.screenshot is not None or args.record is not None:
        capture = Capture(args.screenshot, args.record, args.frames, args.at_day)
    if args.engine != DEFAULT_ENGINE:
        from sim.engine_setup import prepare_engine

        prepare_engine(args.engine, say=lambda line: print(line, file=sys.stderr))
    return run_live(config, capture, args.speed)
