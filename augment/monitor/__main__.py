from augment.monitor.cli import console_main

console_main()
