// PowerShell's side, as AWS's aws:executeScript does it: no handler; InputPayload arrives as
// JSON in $env:InputPayload; whatever the script outputs (or returns) is the payload. PowerShell
// cannot easily write to an inherited descriptor, so the wrapper writes result.json in the
// run's directory, which the runner takes only as a regular file written by the sandbox user.
export const POWERSHELL_SCRIPT_FILE = 'script.ps1';
export const POWERSHELL_WRAPPER_FILE = 'run.ps1';
export const POWERSHELL_RESULT_FILE = 'result.json';

export const POWERSHELL_WRAPPER = String.raw`$ErrorActionPreference = 'Stop'
$capstanResult = Join-Path $PSScriptRoot 'result.json'
try {
  $capstanOut = @(& (Join-Path $PSScriptRoot 'script.ps1'))
  if ($capstanOut.Count -eq 0) { $capstanValue = $null }
  elseif ($capstanOut.Count -eq 1) { $capstanValue = $capstanOut[0] }
  else { $capstanValue = $capstanOut }
  $capstanJson = ConvertTo-Json -InputObject $capstanValue -Depth 64 -Compress
  if ($null -eq $capstanJson) { $capstanJson = 'null' }
  [System.IO.File]::WriteAllText($capstanResult, '{"ok":true,"payload":' + $capstanJson + '}')
} catch {
  $capstanMessage = $_.Exception.Message
  if ($_.ScriptStackTrace) { $capstanMessage += [Environment]::NewLine + $_.ScriptStackTrace }
  [System.IO.File]::WriteAllText($capstanResult, (ConvertTo-Json -InputObject @{ ok = $false; error = $capstanMessage } -Compress))
}
exit 0
`;
