// The console's one way into @capstan/wire/session: the Buffer global has to exist before any
// wire module is evaluated, and module evaluation follows this file's order.
import '../shims/buffer';

export { ClientChannel, PayloadType, sizePayload, type OpenStreamSocket, type SessionEnd, type StreamSocket } from '@capstan/wire/session';
