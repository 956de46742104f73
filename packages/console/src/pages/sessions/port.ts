import type { Session } from '../../api/types';

/**
 * A port forwarding session (AWS-StartPortForwardingSession…): it carries other programs' bytes,
 * which the server does not record, so it has no transcript to replay.
 */
export const isPortSession = (s: Pick<Session, 'DocumentName'> | undefined) => /PortForwarding/i.test(s?.DocumentName ?? '');
