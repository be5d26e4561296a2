"""Mesa's start-up without the costs a tradetalks run does not need (issue 13).

- **Logging.** ``mesa.mesa_logging`` names a module's logger, and the class of a logged
  method, by walking the whole call stack (``inspect.stack`` and ``inspect.getouterframes``
  read every frame's source and search ``sys.modules``: about 0.1 s of a cold run). The import
  hook gives both the same names read off the caller's frame, before any Mesa module asks.
- **Modules imported but unused.** ``import mesa`` executes its grid, network and continuous
  spaces (scipy.spatial, networkx) and pandas (for data frames), about 0.6 s of a cold run;
  the model uses none of them unless per-farm agents or a data frame are asked for. The hook
  gives those modules (``LAZY``) a module object that executes on its first attribute
  access, as ``importlib.util.LazyLoader`` does, except that the import system's own reads
  (``__spec__``, ``__name__``...) do not trigger it: on Python 3.12 they do, so the second
  ``import pandas`` anywhere would execute it. ``TRADETALKS_EAGER_IMPORTS=1`` in the
  environment turns this off (for a tool that trips over a module executed late, and as
  the benchmark's reference).
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import os
import sys
import threading
import types
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

TARGET = "mesa.mesa_logging"
# executed on first use: Mesa's spaces (our farms use them only as per-farm agents,
# agents/farm_agents.py) and pandas (Mesa's data frames, our sweep and analysis tables)
LAZY = frozenset(
    {"mesa.discrete_space", "mesa.space", "mesa.experimental.continuous_space", "pandas"}
)
# what the import system, and tools that scan sys.modules, read off a module without using it
_METADATA = frozenset(
    {"__spec__", "__name__", "__loader__", "__package__", "__class__", "__dict__", "__file__",
     "__cached__"}
)  # fmt: skip
EAGER = "TRADETALKS_EAGER_IMPORTS"  # set (non-empty): every module executes on import


def _frame_named(original: Callable[[str], Any]) -> Callable[..., Any]:
    def create_module_logger(name: str | None = None) -> Any:
        """Mesa's ``create_module_logger``, the default name read off the caller's frame."""
        return original(sys._getframe(1).f_globals["__name__"] if name is None else name)

    create_module_logger.__doc__ = original.__doc__
    return create_module_logger


def _method_logger(get_logger: Callable[[str], Any]) -> Callable[[str], Any]:
    def method_logger(name: str) -> Callable[[Callable], Callable]:
        """Mesa's ``method_logger``: each call of the method logged at DEBUG on the module's
        logger, with the class named by the class body that applies it."""
        logger, classname = get_logger(name), sys._getframe(1).f_code.co_name

        def decorate(func: Callable) -> Callable:
            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                logger.debug(
                    "calling %s.%s with %s and %s", classname, func.__name__, args[1:], kwargs
                )
                return func(*args, **kwargs)

            return wrapper

        return decorate

    return method_logger


def patch(module: ModuleType) -> None:
    """Replace ``create_module_logger`` and ``method_logger`` of ``module`` by the frame-based
    versions (once)."""
    if getattr(module, "_tradetalks_fast", False):
        return
    module.create_module_logger = _frame_named(module.create_module_logger)
    module.method_logger = _method_logger(module.get_module_logger)
    module._tradetalks_fast = True


class _LazyModule(types.ModuleType):
    """A module whose code runs on the first access to anything but its import metadata."""

    def __getattribute__(self, attr: str) -> Any:
        if attr in _METADATA:
            return object.__getattribute__(self, attr)
        state = object.__getattribute__(self, "__spec__").loader_state
        with state["lock"]:  # other threads wait here until the module is whole
            if type(self) is _LazyModule and not state["started"]:
                state["started"] = True  # the executing thread reads the partial module
                try:
                    state["loader"].exec_module(self)
                finally:
                    object.__setattr__(self, "__class__", types.ModuleType)
        return object.__getattribute__(self, attr)


class _LazyLoader(importlib.abc.Loader):
    """Creates the module as ``loader`` would and leaves its execution to first use."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        state = {"loader": self.loader, "lock": threading.RLock(), "started": False}
        module.__spec__.loader_state = state  # type: ignore[union-attr]
        module.__class__ = _LazyModule

    def __getattr__(self, name: str) -> Any:
        """The real loader's other methods (``get_source`` for tracebacks, resource readers)."""
        return getattr(self.loader, name)


def is_lazy(module: ModuleType) -> bool:
    """Whether ``module`` is still waiting for its first use."""
    return type(module) is _LazyModule


def _find(fullname: str, path: Sequence[str] | None) -> importlib.machinery.ModuleSpec | None:
    """The spec the rest of ``sys.meta_path`` gives ``fullname``."""
    for finder in sys.meta_path:
        if finder is not _HOOK and hasattr(finder, "find_spec"):
            spec = finder.find_spec(fullname, path)
            if spec is not None:
                return spec
    return None


class _Hook(importlib.abc.MetaPathFinder):
    """Finds ``mesa.mesa_logging`` as Python would and patches it right after it executes;
    gives the ``LAZY`` modules a loader that defers their execution to first use."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in LAZY and not os.environ.get(EAGER):
            spec = _find(fullname, path)
            if spec is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _LazyLoader(spec.loader)  # type: ignore[arg-type]
            return spec
        if fullname != TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader, run = spec.loader, spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            patch(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_HOOK = _Hook()


def install() -> None:
    """Patch Mesa's logging set-up (now if Mesa is imported, else when it is) and defer the
    ``LAZY`` modules not imported yet."""
    if TARGET in sys.modules:
        patch(sys.modules[TARGET])
    if _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)


def uninstall() -> None:
    """Remove the import hook (a patched module stays patched, a lazy one still executes on
    first use)."""
    if _HOOK in sys.meta_path:
        sys.meta_path.remove(_HOOK)
