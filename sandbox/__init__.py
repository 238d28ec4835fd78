"""API emulators of the platform's sources and the demo organisation they all serve.

`sandbox.org.build_org` builds the organisation; `sandbox.stripe` emulates Stripe's API
over it; `sandbox.process.run_emulator` runs an emulator in its own process.
"""
