"""Werk: digital-twin physics and process simulation of production lines.

    import werk
    model = werk.load_scene("line.yaml")
    sim = werk.Simulation(model)          # backend="auto", threads=0, worlds=1
    sim.step(240)                         # one second at dt = 1/240
    p = sim.positions                     # float32 (worlds, bodies, 3), no copy on the CPU
    sim.set_conveyor_speed("infeed", 0.0)
    kpis = werk.run_process("scenes/process_mm1.yaml", replications=10)

See docs/embedding.md. Errors raise InputError (with file, line, column),
UnknownNameError (an InputError and a KeyError) or SimulationError; an id or
world out of range raises IndexError.
"""


class Error(Exception):
    """Base class of Werk's errors."""


class InputError(Error, ValueError):
    """Bad input (a scene file, an option), located at file:line:column.

    line and column are 1-based; 0 means unknown (the whole file).
    message is the text without the location."""

    def __init__(self, text, file="", line=0, column=0, message=None):
        super().__init__(text)
        self.file = file
        self.line = line
        self.column = column
        self.message = text if message is None else message


class UnknownNameError(InputError, KeyError):
    """No body, conveyor, joint or KPI of that name; the message lists the names."""

    def __str__(self):  # KeyError would quote the message
        return self.args[0] if self.args else ""


class SimulationError(Error, RuntimeError):
    """A failure while running (a backend that is not available, a file that cannot be written)."""


from ._werk import (  # noqa: E402  (the exception classes must exist first)
    Model,
    Recorder,
    Simulation,
    compile_scene,
    compiled_backends,
    cuda_available,
    load_scene,
    run_process,
    run_process_text,
    version,
)

__version__ = version()
__all__ = [
    "Error", "InputError", "UnknownNameError", "SimulationError", "Model", "Simulation", "Recorder",
    "load_scene", "compile_scene", "run_process", "run_process_text", "version", "compiled_backends",
    "cuda_available",
]
