"""Notebook kernels forked from a warm process instead of started as fresh interpreters.

A fresh ``python -m ipykernel_launcher`` takes about a second to start, and a report's first
cell then spends seconds importing pandas, matplotlib, seaborn and the kit. A process that
has already imported them (a batch worker, see :mod:`maturity.batch.warm_parent`) can fork
its kernel instead:

1. :func:`prepare_kernel` forks a child straight away, while the process is still
   single-threaded and holds no ZMQ context (forking one is what makes papermill #239 hang).
   The child waits on a pipe.
2. When papermill starts the notebook's kernel, :class:`ForkedKernelManager` hands the
   child what jupyter_client would have given a fresh kernel (its arguments, with the
   connection file; its environment; its folder), and the child becomes that kernel.

The kernel is still a process of its own, in a session of its own, used for one notebook and
then shut down: a cell that raises, a kernel that dies or is killed behave exactly as with a
fresh one, and nothing of a previous notebook can be in it (the forking process never runs
notebook code). Whenever forking does not apply (no prepared kernel, or a kernel spec that
is not this interpreter's ipykernel) the manager starts a fresh kernel as usual.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time
import traceback
import uuid
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

from ..errors import ReportError

__all__ = ["ForkedKernel", "ForkedKernelManager", "PromptKernelClient", "prepare_kernel", "discard_prepared_kernel", "exit_fork"]

#: The kernel prepared in this process and not used yet (one at most).
_prepared: "ForkedKernel | None" = None


class ForkedKernel:
    """A child process, forked now, that becomes a notebook kernel when :meth:`launch` is called.

    Until then it only waits (it exits when this process closes the pipe or ends). After
    :meth:`launch` it behaves like the :class:`subprocess.Popen` of a kernel for
    jupyter_client: ``pid``, ``poll``, ``wait``, ``send_signal``, ``kill``, ``terminate``.
    """

    stdin = stdout = stderr = None  # jupyter_client closes these when set

    def __init__(self) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(write_fd)
            _serve_as_kernel(read_fd)
        os.close(read_fd)
        self.pid = pid
        self.returncode: int | None = None
        self._pipe: int | None = write_fd

    @staticmethod
    def runs(cmd: list[str]) -> bool:
        """Whether the kernel command ``cmd`` starts this interpreter's ipykernel (the only
        kernel a fork of this process can stand in for)."""
        return (len(cmd) >= 3 and os.path.abspath(cmd[0]) == os.path.abspath(sys.executable)
                and cmd[1:3] == ["-m", "ipykernel_launcher"])

    @property
    def waiting(self) -> bool:
        """Still waiting to be launched (and alive)."""
        return self._pipe is not None and self.poll() is None

    def launch(self, argv: list[str], env: dict[str, str], cwd: str) -> "ForkedKernel":
        """Make the child become the kernel.

        Parameters
        ----------
        argv : list of str
            ipykernel's arguments (``-f CONNECTION_FILE`` ...), as the kernel spec gives them.
        env : dict
            The kernel's environment.
        cwd : str
            The kernel's working folder.

        Returns
        -------
        ForkedKernel
            Itself, the kernel's process handle.
        """
        if self._pipe is None:
            raise ReportError("this forked kernel was launched or discarded already")
        message = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode("utf-8")
        try:
            view = memoryview(message)
            while view:
                view = view[os.write(self._pipe, view):]
        finally:
            os.close(self._pipe)
            self._pipe = None
        return self

    def discard(self) -> None:
        """Let an unused child go (it exits on the closed pipe) and reap it."""
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        self.wait(timeout=5)
        if self.returncode is None:
            self.kill()
            self.wait()

    # --- the Popen interface jupyter_client uses --------------------------------------------

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: it is gone, the code is unknown
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                return None
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def prepare_kernel() -> ForkedKernel:
    """Fork the kernel of this process's next notebook now (replacing an unused one).

    Call it early, before the process starts threads or ZMQ contexts. The next notebook
    run with :class:`ForkedKernelManager` (as :func:`maturity.reporting.notebooks.run_notebook`
    does) takes it; later ones start fresh kernels.

    Returns
    -------
    ForkedKernel
        The waiting child.
    """
    global _prepared
    discard_prepared_kernel()
    _prepared = ForkedKernel()
    return _prepared


def discard_prepared_kernel() -> None:
    """End the prepared kernel when no notebook took it."""
    global _prepared
    kernel, _prepared = _prepared, None
    if kernel is not None and kernel.waiting:
        kernel.discard()


def _take_prepared(cmd: list[str]) -> ForkedKernel | None:
    global _prepared
    if _prepared is None or not _prepared.waiting or not ForkedKernel.runs(cmd):
        return None
    kernel, _prepared = _prepared, None
    return kernel


class _ForkedProvisioner(LocalProvisioner):
    """The local provisioner, launching the prepared kernel when there is one."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        kernel = _take_prepared(cmd)
        if kernel is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
        cwd = str(kwargs.get("cwd") or os.getcwd())
        self.process = kernel.launch(cmd[3:], env, cwd)
        self.pid = self.pgid = kernel.pid  # the child leads a session of its own
        self.cwd = cwd
        await self._listening(kernel)
        return self.connection_info

    async def _listening(self, kernel: ForkedKernel, timeout: float = 30.0) -> None:
        """Wait until the kernel has bound its sockets (Unix sockets: their files exist).

        The client then connects at once; otherwise ZMQ retries every 100 ms and the kernel's
        first status messages are lost to a late subscriber, which costs the start-up a few
        tenths of a second. A kernel that dies or takes too long is left for the client to find.
        """
        info = self.connection_info
        if info.get("transport") != "ipc":
            return
        ports = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
        paths = [f"{info['ip']}-{info[port]}" for port in ports]
        deadline = time.monotonic() + timeout
        while not all(os.path.exists(path) for path in paths):
            if kernel.poll() is not None or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.005)


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's async client, without the fixed pause at the end of ``wait_for_ready``.

    jupyter_client ends ``wait_for_ready`` by reading IOPub until it has been quiet for 0.2 s,
    a fixed cost on every kernel start. nbclient matches every IOPub message to the request
    it answers, so a stale message is harmless: here only what has already arrived is read.
    The rest (and its error messages, which :func:`maturity.reporting.notebooks.kernel_never_started`
    recognises) is jupyter_client's.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    # IOPub is connected once it delivers something; else start over.
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError("Kernel didn't respond in %d seconds" % timeout)
        while True:
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                break


class ForkedKernelManager(AsyncKernelManager):
    """An async kernel manager whose kernel is the prepared forked one (:func:`prepare_kernel`)
    when there is one, else a fresh interpreter; its client is a :class:`PromptKernelClient`."""

    client_class = DottedObjectName("maturity.reporting.kernels.PromptKernelClient")
    client_factory = Type(PromptKernelClient, klass=AsyncKernelClient)

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = _ForkedProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # Shutting down waits for the kernel to exit, polling every 0.1 s by default: a
        # tenth of a second lost per report. Poll more often (the child is ours to reap).
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))


def _serve_as_kernel(read_fd: int) -> None:
    """The forked child: wait for the launch, then run ipykernel as ``ipykernel_launcher`` would."""
    code = 1
    try:
        os.setsid()  # a session of its own, like a launched kernel: interrupts reach it alone
        chunks = []
        while chunk := os.read(read_fd, 65536):
            chunks.append(chunk)
        os.close(read_fd)
        if not chunks:  # discarded: no notebook needed it
            os._exit(0)
        request = json.loads(b"".join(chunks))
        env, cwd = request["env"], request["cwd"]
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = extra + [p for p in sys.path if p not in extra and p not in ("", cwd)]
        tempfile.tempdir = None
        # ipykernel is the kernel's to import (a warm parent has it imported already).
        import ipykernel_launcher

        sys.argv = [ipykernel_launcher.__file__, *request["argv"]]
        from ipykernel.kernelapp import IPKernelApp

        # parent_handle's default was read from the environment when ipykernel was imported
        # (before this kernel's environment was known): set it from the real one.
        app = IPKernelApp.instance(parent_handle=int(env.get("JPY_PARENT_PID") or 0))
        app.initialize(request["argv"])
        app.start()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        exit_fork(code)


def exit_fork(code: int) -> None:
    """End a forked child: flush its output, then leave without the forking process's exit
    handlers (they are not this process's)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)
