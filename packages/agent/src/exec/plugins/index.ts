import type { Plugin } from '../types.js';
import { downloadContent } from './download-content.js';
import { configurePackage } from './package/index.js';
import { runPatchBaseline } from './patch/index.js';
import { runDocument } from './run-document.js';
import { runPowerShellScript, runShellScript } from './shell.js';
import { softwareInventory } from './software-inventory.js';
import { updateAgent } from './update-agent.js';

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
    case 'aws:softwareInventory':
      return softwareInventory;
    case 'aws:runPatchBaseline':
      return runPatchBaseline;
    case 'aws:configurePackage':
      return configurePackage;
    case 'aws:updateSsmAgent':
      return updateAgent;
    default:
      return undefined;
  }
}
