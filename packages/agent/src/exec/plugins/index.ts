import type { Plugin } from '../types.js';
import { downloadContent } from './download-content.js';
import { runDocument } from './run-document.js';
import { runPowerShellScript, runShellScript } from './shell.js';

/** The plugins this agent runs; other known AWS plugins are Skipped (2.2) or Failed (older schemas). */
export function handlerFor(action: string): Plugin | undefined {
  switch (action) {
    case 'aws:runShellScript':
      return runShellScript;
    case 'aws:runPowerShellScript':
      return runPowerShellScript;
    case 'aws:runDocument':
      return runDocument;
    case 'aws:downloadContent':
      return downloadContent;
    default:
      return undefined;
  }
}
