# Runs one generated script in the simulated Exchange organisation, as an administrator runs it in
# the Exchange Management Shell: the shell has the Exchange cmdlets (SimulatedExchange.psm1, named
# by $env:OWA_SIM_ORG's organisation), the script is called with its parameters, and the process
# exits with the script's exit code. A terminating error that escapes the script exits with 99.
param(
    [Parameter(Mandatory = $true)] [string] $Script,
    [hashtable] $Parameters = @{}
)

$PSStyle.OutputRendering = 'PlainText'

Import-Module (Join-Path $PSScriptRoot 'SimulatedExchange.psm1') -Global -DisableNameChecking

$global:LASTEXITCODE = 0
try {
    & $Script @Parameters
}
catch {
    Write-Output ('UNCAUGHT: ' + $_.Exception.Message)
    exit 99
}
$code = $LASTEXITCODE
# The administrator's shell stays open after the script: a transcript the script did not stop
# would go on recording whatever they type next.
try {
    Stop-Transcript -ErrorAction Stop | Out-Null
    Write-Output 'TRANSCRIPT LEFT RUNNING'
    exit 98
}
catch {
}
exit $code
