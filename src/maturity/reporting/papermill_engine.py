"""The papermill engine of the kit's notebook runs: papermill's own, saving less often.

Papermill writes the running notebook after every cell starts and after every cell ends,
markdown cells included: some sixty writes for a client report, each one validating,
copying and pretty-printing the whole notebook with its figures in pure Python, a fifth of
the report's run time. What those writes are for is a run killed from outside (a time limit,
Ctrl-C): the file must then show every output so far and the cell that was running. This
engine keeps exactly that and drops the rest: it writes when a *code* cell starts (a run
killed in that cell leaves it marked as running, after every earlier output) and when the
run ends, however it ends (a kernel that dies leaves everything up to its death), as
compact JSON (still a notebook nbformat reads). Cell execution, parameters, the final
notebook (written by papermill as usual) and its error handling are papermill's.
"""

from __future__ import annotations

import json

from nbformat.v4.nbjson import BytesEncoder
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.iorw import papermill_io

#: Name under which :func:`register` makes the engine known to papermill.
ENGINE_NAME = "maturity"


class _SparseSaves(NotebookExecutionManager):
    """Papermill's execution manager, writing only as code cells start and as the run ends."""

    _deferred = False
    _unsaved = False

    def save(self, **kwargs):
        if self._deferred:
            self._unsaved = True
            return None
        self._unsaved = False
        if self.output_path:
            # A notebook as nbformat writes it, less the indentation (which makes json use
            # its pure-Python encoder) and the copy that splits strings into lines.
            papermill_io.write(json.dumps(self.nb, cls=BytesEncoder, ensure_ascii=False, sort_keys=True),
                               self.output_path)
        self.last_save_time = self.now()
        return None

    def cell_start(self, cell, cell_index=None, **kwargs):
        self._deferred = cell.cell_type != "code"
        try:
            return super().cell_start(cell, cell_index, **kwargs)
        finally:
            self._deferred = False

    def cell_complete(self, cell, cell_index=None, **kwargs):
        # The next code cell's start (or the end of the run) writes this cell's outputs.
        self._deferred = True
        try:
            return super().cell_complete(cell, cell_index, **kwargs)
        finally:
            self._deferred = False

    def notebook_complete(self, **kwargs):
        result = super().notebook_complete(**kwargs)
        if self._unsaved:
            self.save()
        return result


class SparseSavesEngine(NBClientEngine):
    """nbclient execution as papermill does it, with :class:`_SparseSaves` tracking the run."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        # papermill.engines.Engine.execute_notebook, with the execution manager swapped.
        nb_man = _SparseSaves(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                              autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


def register() -> str:
    """Make the engine known to papermill (idempotent); returns its name."""
    papermill_engines.register(ENGINE_NAME, SparseSavesEngine)
    return ENGINE_NAME
