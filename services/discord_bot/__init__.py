"""`foundry-platform discord-bot`: the vtt commands as Discord slash commands and approval buttons.

A thin front end over `services.commands`: it builds the principal from the interaction (user id,
role ids), runs the command off the event loop and shows the reply. No policy or Kubernetes logic here.
"""
