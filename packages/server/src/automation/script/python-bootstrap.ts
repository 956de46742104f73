// The program the Python runtime's child runs (`python3 -I -u -c`), kept as text for the same
// reason as the JavaScript one: the interpreter runs in isolated mode with nothing to import
// from us. Same protocol: request as JSON on stdin, one JSON line on fd 3, then os._exit.
//
// The handler is a function defined at the script's top level, called as handler(events,
// context), as AWS does; `file.function` (AWS's form for an attached file) names `function`.
export const PYTHON_BOOTSTRAP = String.raw`
import json, linecache, os, sys, traceback, types

def _capstan_main():
    # Keep the result channel on a descriptor of our own that children do not inherit.
    result_fd = os.dup(3)
    os.close(3)
    request = json.loads(sys.stdin.buffer.read().decode('utf-8'))
    sys.stdin.close()
    sys.stdin = open(os.devnull)

    def finish(text):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        view = memoryview((text + '\n').encode('utf-8'))
        while view:
            view = view[os.write(result_fd, view):]
        os._exit(0)

    def fail(message):
        finish(json.dumps({'ok': False, 'error': message}))

    def describe(e):
        if isinstance(e, MemoryError):
            head = 'MemoryError: the script ran out of memory (the limit is %s MiB)' % request.get('memoryMb')
        elif isinstance(e, SystemExit):
            head = 'the script called sys.exit(%r) instead of returning' % (e.code,)
        else:
            message = str(e)
            head = type(e).__name__ + (': ' + message if message else '')
        tb = e.__traceback__
        # Frames of this bootstrap say nothing about the script.
        while tb is not None and tb.tb_frame.f_code.co_filename == '<string>':
            tb = tb.tb_next
        try:
            lines = ''.join(traceback.format_exception(type(e), e, tb)).rstrip().splitlines()
        except Exception:
            lines = []
        if lines:
            sys.stderr.write('\n'.join(lines) + '\n')
        tail = lines[-12:]
        if tail and tail[-1] == head:
            tail = tail[:-1]
        return '\n'.join([head] + tail) if tail else head

    nproc = request.get('nproc')
    if nproc:
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        except Exception:
            pass

    source = str(request.get('script'))
    name = str(request.get('handler')).rsplit('.', 1)[-1]
    filename = 'script.py'
    # Lets tracebacks show the script's own lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType('script')
    module.__file__ = filename
    sys.modules['script'] = module
    try:
        exec(compile(source, filename, 'exec'), module.__dict__)
        fn = module.__dict__.get(name)
        if not callable(fn):
            fail('the script defines no function named %r (inputs.Handler)' % name)
        value = fn(request.get('events'), request.get('context'))
        import inspect
        if inspect.iscoroutine(value):
            import asyncio
            value = asyncio.run(value)
    except BaseException as e:
        fail(describe(e))
    try:
        payload = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        fail("the handler's return value is not JSON-serialisable: %s" % e)
    finish('{"ok": true, "payload": ' + payload + '}')

_capstan_main()
`;
