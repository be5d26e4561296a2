"""Mesa's start-up without its logging cost (issue 13): ``mesa.mesa_logging`` names a module's
logger, and the class of a logged method, by walking the whole call stack (``inspect.stack``
and ``inspect.getouterframes`` read every frame's source and search ``sys.modules``: about
0.1 s of a cold run). This import hook gives both the same names read off the caller's frame,
before any Mesa module asks for one."""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

TARGET = "mesa.mesa_logging"


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


class _Hook(importlib.abc.MetaPathFinder):
    """Finds ``mesa.mesa_logging`` as Python would and patches it right after it executes."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != TARGET:
            return None
        uninstall()
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
    """Patch Mesa's logging set-up: now if Mesa is imported, else when it is."""
    if TARGET in sys.modules:
        patch(sys.modules[TARGET])
    elif _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)


def uninstall() -> None:
    """Remove the import hook (a patched module stays patched)."""
    if _HOOK in sys.meta_path:
        sys.meta_path.remove(_HOOK)
