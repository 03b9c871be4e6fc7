; Hooks of the NSIS installer (tauri.conf.json: bundle > windows > nsis > installerHooks).
;
; Windows Error Reporting keeps no report of a crash of Aanmelder: a dump of the app's memory
; may hold the open store's pages and a client's data in clear, and may be uploaded. The Linux
; and macOS builds switch core dumps off for the same reason (src-tauri/src/lib.rs). WER reads
; the 64-bit view of the registry; the value is the executable's file name.

!macro NSIS_HOOK_POSTINSTALL
  SetRegView 64
  WriteRegDWORD HKLM "SOFTWARE\Microsoft\Windows\Windows Error Reporting\ExcludedApplications" "${MAINBINARYNAME}.exe" 1
  SetRegView lastused
!macroend

!macro NSIS_HOOK_POSTUNINSTALL
  SetRegView 64
  DeleteRegValue HKLM "SOFTWARE\Microsoft\Windows\Windows Error Reporting\ExcludedApplications" "${MAINBINARYNAME}.exe"
  SetRegView lastused
!macroend
