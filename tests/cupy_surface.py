"""A CuPy-surface stand-in: NumPy underneath, only CuPy's names on top. Not a GPU.

``installed()`` puts it in as npgan's ``"cupy"`` backend (``npgan.backend.use_module``)
for the length of a ``with`` block, so that every non-NumPy code path of npgan runs on a
machine without a GPU and fails where real CuPy would refuse:

- the module has only the names the installed CuPy has (``dir(cupy)``, read at import
  time); each function checks its arguments against CuPy's signature and refuses host
  ``numpy.ndarray`` arguments, as CuPy's functions do (``array``, ``asarray`` and
  ``asanyarray`` copy host data in; nothing else takes it);
- ``random.default_rng`` gives a generator with only the methods of
  ``cupy.random.Generator`` (``random``, ``standard_normal``, ``integers``, ``uniform``
  and some distributions; no ``normal``, ``permutation``, ``choice``, ``shuffle`` or
  NumPy's ``bit_generator``), seeded as CuPy seeds XORWOW: one 32-bit word of
  ``numpy.random.SeedSequence(seed)``;
- its arrays (``ndarray``) have only the attributes of ``cupy.ndarray``; reductions and
  scalar indexing give 0-d arrays; implicit conversion to host memory raises CuPy's
  TypeError (``numpy.asarray(a)``, ``numpy.savez``, matplotlib), so ``a.get()`` and
  ``npgan.to_numpy(a)`` are the ways out, while ``float(a)``, ``int(a)``, ``bool(a)``
  and formatting work as on CuPy; arithmetic with a host array raises; NumPy functions
  called on them run the stand-in's function of the same name, or raise if CuPy has
  none (CuPy's ``__array_ufunc__``/``__array_function__``).

What it does not check: anything about the GPU itself (kernels, memory, streams, speed),
the numerics of CUDA libraries, the semantics where CuPy differs from NumPy under the
same name (out-of-bounds indices wrap, writes to duplicate indices are undefined, type
promotion), nor CuPy's random streams (the numbers are NumPy's). Importing it needs
CuPy installed (``pip install cupy-cuda12x``), not a GPU.
"""

import ast
import contextlib
import inspect
import re
import types

import cupy
import numpy

from npgan import backend

# The CuPy functions that copy host data to the device; every other one takes device arrays.
HOST_INPUTS = frozenset({"array", "asarray", "asanyarray"})
IMPLICIT_CONVERSION = ("Implicit conversion to a NumPy array is not allowed. "
                       "Please use `.get()` to construct a NumPy array explicitly.")


def public_names(obj):
    return {name for name in dir(obj) if not name.startswith("_")}


NDARRAY_NAMES = public_names(cupy.ndarray)
GENERATOR_METHODS = public_names(cupy.random.Generator)


def signature(obj):
    """CuPy's signature of ``obj``, from ``inspect`` or from the first line of its
    docstring (Cython methods embed it there); ``None`` when neither has one."""
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        pass
    first = (getattr(obj, "__doc__", None) or "").strip().split("\n", 1)[0]
    match = re.match(r"[\w.]+\((.*)\)\s*(->.*)?$", first)
    if not match:
        return None
    try:
        args = ast.parse(f"def f({match.group(1)}): pass").body[0].args
    except SyntaxError:
        return None
    P = inspect.Parameter
    positional = args.posonlyargs + args.args
    first_default = len(positional) - len(args.defaults)
    params = [P(a.arg, P.POSITIONAL_ONLY if i < len(args.posonlyargs) else P.POSITIONAL_OR_KEYWORD,
                default=None if i >= first_default else P.empty) for i, a in enumerate(positional)]
    if args.vararg:
        params.append(P(args.vararg.arg, P.VAR_POSITIONAL))
    params += [P(a.arg, P.KEYWORD_ONLY, default=P.empty if d is None else None)
               for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    if args.kwarg:
        params.append(P(args.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(params)


def _unwrap(x):
    if isinstance(x, ndarray):
        return x._host
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(x):
    if isinstance(x, numpy.ndarray):
        return ndarray(x)
    if isinstance(x, numpy.generic):  # CuPy gives 0-d arrays where NumPy gives scalars
        return ndarray(numpy.asarray(x))
    if type(x) in (list, tuple):
        return type(x)(_wrap(v) for v in x)
    return x


def _refuse_host(where, values, ufunc=False):
    """Raise where CuPy would: a host array among the arguments (or, for a ufunc, a list)."""
    for v in values:
        if isinstance(v, numpy.ndarray):
            raise TypeError(f"{where}: got a host numpy.ndarray of shape {v.shape}; CuPy takes device "
                            "arrays here (cupy.asarray copies host data in)")
        if isinstance(v, (list, tuple)):
            if ufunc:
                raise TypeError(f"{where}: Unsupported type {type(v)} (CuPy's ufuncs take arrays and scalars)")
            _refuse_host(where, v)


class _Function:
    """A CuPy function (or method) served by NumPy's function of the same name."""

    def __init__(self, where, host_function, cupy_function, host_inputs=False, bound=False):
        self.where, self.host_function, self.cupy_function = where, host_function, cupy_function
        self.host_inputs, self.bound = host_inputs, bound
        self.ufunc = isinstance(host_function, numpy.ufunc)
        self.signature = None if self.ufunc else signature(cupy_function)

    def __call__(self, *args, **kwargs):
        if self.signature is not None:
            try:
                self.signature.bind(*((None,) if self.bound else ()), *args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{self.where}: {exc} (CuPy's signature: {self.signature})") from None
        if not self.host_inputs:
            _refuse_host(self.where, args, self.ufunc)
            _refuse_host(self.where, kwargs.values())
        return _wrap(self.host_function(*_unwrap(args), **_unwrap(kwargs)))

    def __getattr__(self, method):  # ufunc methods: reduce, accumulate, outer, ...
        if not self.ufunc or not hasattr(self.cupy_function, method):
            raise AttributeError(f"{self.where} has no attribute {method!r} in CuPy")
        return _Function(f"{self.where}.{method}", getattr(self.host_function, method), None)


class _Namespace(types.ModuleType):
    """A module with only the names of ``real`` (CuPy), each served from ``host`` (NumPy)."""

    def __init__(self, name, real, host, overrides=None):
        super().__init__(name)
        self._real, self._host, self._overrides = real, host, dict(overrides or {})

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._overrides:
            return self._overrides[name]
        if not hasattr(self._real, name):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} (CuPy has no such name)")
        real = getattr(self._real, name)
        if isinstance(real, types.ModuleType) and hasattr(self._host, name):
            value = _Namespace(f"{self.__name__}.{name}", real, getattr(self._host, name))
        elif not hasattr(self._host, name):
            raise AttributeError(f"the CuPy-surface stand-in does not simulate {self.__name__}.{name}")
        else:
            value = getattr(self._host, name)
            if callable(value) and not isinstance(value, type):  # a function; dtypes and constants pass
                value = _Function(f"{self.__name__}.{name}", value, real, host_inputs=name in HOST_INPUTS)
        setattr(self, name, value)
        return value


class Generator:
    """``cupy.random.Generator``'s methods only, each NumPy's method of the same name."""

    __slots__ = ("_numpy",)

    def __init__(self, seed=None):
        word = numpy.random.SeedSequence(seed).generate_state(1, numpy.uint32)[0]  # as CuPy's XORWOW
        self._numpy = numpy.random.default_rng(int(word))

    def __getattr__(self, name):
        if name not in GENERATOR_METHODS:
            raise AttributeError(f"'cupy.random.Generator' object has no attribute {name!r}")
        return _Function(f"cupy.random.Generator.{name}", getattr(self._numpy, name),
                         getattr(cupy.random.Generator, name), bound=True)


def default_rng(seed=None):
    return Generator(seed)


class ndarray:
    """A device array: a NumPy array that will not leave except through ``get()``."""

    __slots__ = ("_host",)
    __array_priority__ = 100

    def __init__(self, host):
        self._host = host

    def get(self, stream=None, order="C", out=None, blocking=True):
        return self._host.copy(order=order)

    def set(self, arr, stream=None):
        self._host[...] = arr

    def __array__(self, dtype=None, copy=None):
        raise TypeError(IMPLICIT_CONVERSION)

    def __getattr__(self, name):
        if name not in NDARRAY_NAMES:
            raise AttributeError(f"'cupy.ndarray' object has no attribute {name!r}")
        value = getattr(self._host, name)
        if callable(value) and not isinstance(value, numpy.ndarray):
            return _Function(f"cupy.ndarray.{name}", value, getattr(cupy.ndarray, name), bound=True)
        return _wrap(value)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        function = getattr(MODULE, ufunc.__name__, None)  # as CuPy's: NumPy's ufunc runs CuPy's
        if function is None:
            return NotImplemented
        return (function if method == "__call__" else getattr(function, method))(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        module = MODULE
        try:
            for part in func.__module__.split(".")[1:]:
                module = getattr(module, part)
            function = getattr(module, func.__name__)
        except AttributeError:
            return NotImplemented  # NumPy then raises TypeError: no implementation found
        return function(*args, **kwargs)

    def __getitem__(self, key):
        return _wrap(self._host[_unwrap(key)])

    def __setitem__(self, key, value):
        if isinstance(value, (list, tuple)) or (isinstance(value, numpy.ndarray) and value.ndim):
            raise ValueError(f"cupy.ndarray.__setitem__: a host {type(value).__name__} cannot be assigned "
                             "to a device array (non-scalar numpy.ndarray cannot be used for fill)")
        self._host[_unwrap(key)] = _unwrap(value)

    def __len__(self):
        return len(self._host)

    def __iter__(self):
        if self._host.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._host)))

    def __bool__(self):
        return bool(self._host)

    def __float__(self):
        return float(self._host)

    def __int__(self):
        return int(self._host)

    def __complex__(self):
        return complex(self._host)

    def __format__(self, spec):
        return self._host.__format__(spec)

    def __repr__(self):
        return repr(self._host)

    def __str__(self):
        return str(self._host)

    def __copy__(self):
        return ndarray(self._host.copy())

    def __deepcopy__(self, memo):
        return ndarray(self._host.copy())


def _binary(name):
    def method(self, other):
        _refuse_host(f"cupy.ndarray.{name}", [other], ufunc=True)
        result = getattr(self._host, name)(_unwrap(other))
        return result if result is NotImplemented else _wrap(result)
    return method


def _inplace(name):
    def method(self, other):
        _refuse_host(f"cupy.ndarray.{name}", [other], ufunc=True)
        getattr(self._host, name)(_unwrap(other))
        return self
    return method


def _unary(name):
    def method(self):
        return _wrap(getattr(self._host, name)())
    return method


_CUPY_DUNDERS = set(dir(cupy.ndarray))
for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor",
              "lshift", "rshift", "divmod"):
    for _dunder, _make in ((f"__{_name}__", _binary), (f"__r{_name}__", _binary), (f"__i{_name}__", _inplace)):
        if _dunder in _CUPY_DUNDERS:  # CuPy has no __imatmul__: a @= b rebinds, as there
            setattr(ndarray, _dunder, _make(_dunder))
for _dunder in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
    setattr(ndarray, _dunder, _binary(_dunder))
for _dunder in ("__neg__", "__pos__", "__abs__", "__invert__"):
    setattr(ndarray, _dunder, _unary(_dunder))
ndarray.__hash__ = None


def _asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    return a.get() if isinstance(a, ndarray) else numpy.asarray(a, order=order)


def _get_array_module(*args):
    return MODULE if any(isinstance(a, ndarray) for a in args) else numpy


MODULE = _Namespace("cupy", cupy, numpy, {
    "ndarray": ndarray,
    "asnumpy": _asnumpy,
    "get_array_module": _get_array_module,
    "random": _Namespace("cupy.random", cupy.random, numpy.random,
                         {"Generator": Generator, "default_rng": default_rng}),
})


@contextlib.contextmanager
def installed():
    """The stand-in as npgan's ``"cupy"`` backend inside the block; the old backend after it."""
    previous = backend.use_module("cupy", MODULE)
    try:
        yield MODULE
    finally:
        backend.use_module(*previous)
