"""Synthetic national data: AP census returns for every LA and a school census population.

Everything is generated from a seed, so the same arguments give byte-identical files.
``generate_census`` is the entry point; ``render_summary`` turns its result into tables.
"""

from safepupil.synth.run import ProgressCallback, generate_census
from safepupil.synth.spec import OutputFormat, SynthResult, SynthSpec
from safepupil.synth.summary import render_summary

__all__ = [
    "OutputFormat",
    "ProgressCallback",
    "SynthResult",
    "SynthSpec",
    "generate_census",
    "render_summary",
]
