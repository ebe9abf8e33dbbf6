/** The Functions app's entry point (package.json `main` after the build): each import registers one function. */
import './activityEvents.ts';
import './eventGridWebhook.ts';
import './sweep.ts';
import './scanSubscriptions.ts';
import './health.ts';
