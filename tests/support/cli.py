"""Runs `llama-on-azure` commands the fast way: `tools.cli.main` in a forked child of the warm test process.

The child has everything imported already (conftest warms the program), gets its own runtime, working
directory, stdout and stderr, and exits with the command's code, as the installed command does. A program run
the session made already for the same input (tests.support.runs) is not made again. Plans talk to
one policy pack process started once for the session, over the same analyzer gRPC protocol; each plan sends
its own configuration first, as the CLI does. Tests of the installed command itself start it for real.
"""

import gc
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from pulumi.runtime.proto import analyzer_pb2_grpc

from tests.support import runs
from tools import cli, engine, policy_check
from tools.policy_check import PolicyPackProcess

INSTALLED = Path(sys.executable).with_name("llama-on-azure")


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


class _SessionPack:
    """The session's policy pack, lent to each forked plan; closing the loan leaves the pack running."""

    process: PolicyPackProcess | None = None

    def __init__(self, _stack: str, *_args: object) -> None:
        assert _SessionPack.process is not None and _SessionPack.process.port is not None
        self.channel = grpc.insecure_channel(f"127.0.0.1:{_SessionPack.process.port}")
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "_SessionPack":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _shared_run_program(stack: str, config: dict, *, preview: bool = True, mock: Any = None) -> engine.RunResult:
    """engine.run_program for a forked command: an input the session ran already is not run again.

    Always the result as JSON gives it back (what the session's other processes get), so that what a command
    prints never depends on which process ran its input first.
    """
    mock = mock or engine.LlamaMocks(preview=preview)

    def compute() -> engine.RunResult:
        return engine.RunResult.from_json(_run_program(stack, config, preview=preview, mock=mock).to_json())

    return runs.shared(runs.key(stack, config, preview, mock), compute)


_run_program = engine.run_program


def start_session_pack() -> None:
    if _SessionPack.process is None:
        _SessionPack.process = PolicyPackProcess("test")
        _ = _SessionPack.process.stub  # wait for its port once


def stop_session_pack() -> None:
    if _SessionPack.process is not None:
        _SessionPack.process.close()
        _SessionPack.process = None


def command(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Done:
    """`llama-on-azure *args` run in `cwd`: its exit code and what it printed."""
    if args[:1] == ("plan",) and "--skip-policies" not in args:
        start_session_pack()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 70
            try:
                os.chdir(cwd)
                os.environ.update(env or {})
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
                sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
                gc.disable()
                policy_check.PolicyPackProcess = _SessionPack  # type: ignore[misc,assignment]
                engine.run_program = _shared_run_program  # type: ignore[assignment]
                code = cli.main(list(args))
            except BaseException as exc:  # a crash is what the test must see, as the installed command shows it
                import traceback

                traceback.print_exception(exc)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return Done(os.waitstatus_to_exitcode(status), out.read().decode(), err.read().decode())


def installed(*args: str, cwd: Path, timeout: float = 120) -> Done:
    """The installed console command, in a process of its own, as a user runs it."""
    done = subprocess.run([str(INSTALLED), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return Done(done.returncode, done.stdout, done.stderr)
