import { FitAddon } from '@xterm/addon-fit';
import type { Terminal } from '@xterm/xterm';
import { ssm } from '../api/client';
import { describeError } from '../api/errors';
import { startShellSession, type StartedShell } from './session';
import { browserOpener } from './socket';
import { runShell } from './terminal';
import type { OpenStreamSocket } from './wire';
import { createTerminal } from './xterm';

export type ShellState = 'connecting' | 'connected' | 'ended';

export interface ShellEnd {
  reason: string;
  exitCode?: number | undefined;
  /** The session never started (StartSession refused, the stream did not open). */
  failed?: boolean;
}

export interface ShellHooks {
  state(s: ShellState): void;
  /** The stream socket dropped and the client is resuming (true), or is back (false). */
  resuming(on: boolean): void;
  session(id: string): void;
  ended(e: ShellEnd): void;
}

/** How long after TerminateSession to wait for the server's own close before ending here. */
const TERMINATE_GRACE_MS = 3_000;

/**
 * One shell in the page: the terminal, the session and the socket watching, owned together so the
 * page can keep them across React running its effects again (StrictMode in development, a
 * Suspense boundary hiding and showing the page) and end them only when the page is really gone.
 */
export class BrowserShell {
  private term: Terminal | undefined;
  private resized: ResizeObserver | undefined;
  private started: StartedShell | undefined;
  private disposeTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(
    readonly target: string,
    private readonly hooks: ShellHooks,
  ) {}

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Shows the shell in `el`; the first call starts the session. */
  mount(el: HTMLElement): void {
    clearTimeout(this.disposeTimer);
    this.disposeTimer = undefined;
    if (this.term) return;
    const term = createTerminal({ cursorBlink: true });
    this.term = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    const refit = () => {
      // no proposal while the element has no size (hidden by a Suspense fallback, detached)
      if (!this.disposed && fit.proposeDimensions()) fit.fit();
    };
    refit();
    this.resized = new ResizeObserver(refit);
    this.resized.observe(el);
    window.addEventListener('pagehide', this.onPageHide);
    term.write(`\x1b[2mStarting a session on ${this.target}…\x1b[0m\r\n`);
    void this.run(term);
  }

  /** The page's effect is being cleaned up: end everything unless it mounts again right away. */
  unmount(): void {
    clearTimeout(this.disposeTimer);
    this.disposeTimer = setTimeout(() => this.dispose(), 0);
  }

  /** TerminateSession; the session then ends with the server's reason. */
  async terminate(): Promise<void> {
    const s = this.started;
    if (!s) return;
    await ssm('TerminateSession', { SessionId: s.sessionId });
    // The server closes the stream with its reason; a socket that is down right now never hears it.
    setTimeout(() => s.channel.close('Terminated from the console.'), TERMINATE_GRACE_MS);
  }

  private async run(term: Terminal): Promise<void> {
    // The client decides what a close means; the page only shows a drop while it resumes, by
    // the client's rule (1000 and 4000–4999 end the session, any other close is a drop).
    let opened = 0;
    const open = browserOpener();
    const watched: OpenStreamSocket = async (url) => {
      const socket = await open(url);
      if (opened++ > 0 && !this.disposed) this.hooks.resuming(false);
      socket.onClose((code) => {
        if (!this.disposed && code !== 1000 && !(code >= 4000 && code < 5000)) this.hooks.resuming(true);
      });
      return socket;
    };
    let started: StartedShell;
    try {
      started = await startShellSession(this.target, { openSocket: watched });
    } catch (e) {
      return this.finish({ reason: describeError(e).message, failed: true });
    }
    if (this.disposed) {
      started.channel.close('left the page');
      return void started.terminate();
    }
    this.started = started;
    this.hooks.session(started.sessionId);
    const end = await runShell(started.channel, term, {
      ready: () => {
        if (this.disposed) return;
        this.hooks.state('connected');
        term.focus();
      },
    });
    this.finish({ reason: end.reason, exitCode: end.exitCode });
  }

  private finish(e: ShellEnd): void {
    if (this.disposed || !this.term) return;
    this.term.options.disableStdin = true;
    this.term.options.cursorBlink = false;
    // dim reason, then the cursor hidden: nothing typed here goes anywhere any more
    this.term.write(`\r\n\x1b[2m[${e.reason}]\x1b[0m\r\n\x1b[?25l`);
    this.hooks.resuming(false);
    this.hooks.ended(e);
    this.hooks.state('ended');
  }

  /** A closed tab leaves no client; without this the session would wait out the resume window. */
  private onPageHide = () => {
    const s = this.started;
    if (s && !s.channel.isEnded) void s.terminate({ keepalive: true });
  };

  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    window.removeEventListener('pagehide', this.onPageHide);
    this.resized?.disconnect();
    const s = this.started;
    if (s && !s.channel.isEnded) {
      s.channel.close('left the page');
      void s.terminate();
    }
    this.term?.dispose();
  }
}
