/*
 * Mosquitto 2 plugin: each service's MQTT client ids belong to its broker user.
 *
 * Mosquitto lets any user that logs in use any client id, and a CONNECT with an id that is in use takes over
 * that session: with a clean start the broker drops what it has queued for it, with a resumed one it hands
 * the queue to the newcomer (MQTT 5.0, 5.4.2, asks the server to check that a client may use its id).
 * Mosquitto 2.0 has nothing that binds a set of ids to a user: the dynamic-security plugin binds a user to
 * one exact id and leaves every other user free to take it, and use_username_as_clientid allows one
 * connection per user. Our services open several connections each (acquisition-<i>, inference-<i>-pub),
 * and read-only users connect with random ids; hence this check.
 *
 * Configuration, after `plugin <path of this library>`, one line per user that owns client ids:
 *
 *     plugin_opt_<user> <pattern> [<pattern> ...]
 *
 * A pattern is a client id, or a prefix followed by `*`. At each CONNECT, before the broker looks up the
 * session:
 *   - a user listed here may connect only with an id that matches one of its own patterns;
 *   - an id that matches a listed user's pattern is refused to every other user, and to anonymous clients;
 *   - anything else is left to the checks that follow (the password file): this plugin never admits
 *     anyone by itself.
 * A refusal is the CONNACK of a wrong password (MQTT 5 0x87 not authorized, MQTT 3.1.1 5), so the session in
 * place, online or not, is left as it was.
 *
 * Built by mosquitto/Dockerfile for the compose broker, and by deploy/deployed-broker.ts for the tests, with
 * nothing but a C compiler: the few declarations of Mosquitto's plugin interface (version 5, the same in
 * every 2.x release) that it uses are copied below from mosquitto_broker.h, mosquitto_plugin.h and
 * mosquitto.h of Mosquitto 2.0.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- Mosquitto 2.0 plugin interface, version 5 (the subset used here) ---- */

enum { MOSQ_ERR_SUCCESS = 0, MOSQ_ERR_NOMEM = 1, MOSQ_ERR_INVAL = 3, MOSQ_ERR_AUTH = 11, MOSQ_ERR_PLUGIN_DEFER = 17 };
enum { MOSQ_EVT_BASIC_AUTH = 3 };
enum { MOSQ_LOG_WARNING = 1 << 2, MOSQ_LOG_ERR = 1 << 3 };

struct mosquitto;
typedef struct mosquitto_plugin_id_t mosquitto_plugin_id_t;
struct mosquitto_opt {
	char *key;
	char *value;
};
struct mosquitto_evt_basic_auth {
	void *future;
	struct mosquitto *client;
	char *username;
	char *password;
	void *future2[4];
};
typedef int (*MOSQ_FUNC_generic_callback)(int, void *, void *);

int mosquitto_callback_register(mosquitto_plugin_id_t *identifier, int event, MOSQ_FUNC_generic_callback cb_func,
		const void *event_data, void *userdata);
int mosquitto_callback_unregister(mosquitto_plugin_id_t *identifier, int event, MOSQ_FUNC_generic_callback cb_func,
		const void *event_data);
const char *mosquitto_client_id(const struct mosquitto *client);
void mosquitto_log_printf(int level, const char *fmt, ...);

/* ---- the plugin ---- */

#define PLUGIN_NAME "clientid_owners"

struct owner {
	char *user;
	char **patterns;
	int pattern_count;
};

static mosquitto_plugin_id_t *plugin_id;
static struct owner *owners;
static int owner_count;

static bool matches(const char *pattern, const char *clientid)
{
	size_t len = strlen(pattern);
	if(len > 0 && pattern[len - 1] == '*'){
		return strncmp(pattern, clientid, len - 1) == 0;
	}
	return strcmp(pattern, clientid) == 0;
}

static bool owns(const struct owner *owner, const char *clientid)
{
	for(int i = 0; i < owner->pattern_count; i++){
		if(matches(owner->patterns[i], clientid)) return true;
	}
	return false;
}

static const struct owner *find_owner(const char *user)
{
	if(user == NULL) return NULL;
	for(int i = 0; i < owner_count; i++){
		if(strcmp(owners[i].user, user) == 0) return &owners[i];
	}
	return NULL;
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
	const struct mosquitto_evt_basic_auth *ed = event_data;
	const char *clientid = mosquitto_client_id(ed->client);
	const char *user = ed->username;
	(void)event;
	(void)userdata;

	if(clientid == NULL) return MOSQ_ERR_AUTH;

	const struct owner *own = find_owner(user);
	if(own != NULL){
		if(owns(own, clientid)) return MOSQ_ERR_PLUGIN_DEFER;
		mosquitto_log_printf(MOSQ_LOG_WARNING, PLUGIN_NAME ": refused client id \"%s\" to user \"%s\", "
				"which may use only its own ids (plugin_opt_%s)", clientid, user, user);
		return MOSQ_ERR_AUTH;
	}
	for(int i = 0; i < owner_count; i++){
		if(owns(&owners[i], clientid)){
			mosquitto_log_printf(MOSQ_LOG_WARNING, PLUGIN_NAME ": refused client id \"%s\" of user \"%s\" to %s%s%s",
					clientid, owners[i].user, user ? "user \"" : "an anonymous client", user ? user : "", user ? "\"" : "");
			return MOSQ_ERR_AUTH;
		}
	}
	return MOSQ_ERR_PLUGIN_DEFER;
}

static void free_owners(void)
{
	for(int i = 0; i < owner_count; i++){
		for(int j = 0; j < owners[i].pattern_count; j++) free(owners[i].patterns[j]);
		free(owners[i].patterns);
		free(owners[i].user);
	}
	free(owners);
	owners = NULL;
	owner_count = 0;
}

/* Splits an option's value into its patterns; a `*` anywhere but at the end is a mistake, reported. */
static int parse_owner(const struct mosquitto_opt *opt, struct owner *owner)
{
	const char *p = opt->value;
	owner->patterns = NULL;
	owner->pattern_count = 0;
	owner->user = malloc(strlen(opt->key) + 1);
	if(owner->user == NULL) return MOSQ_ERR_NOMEM;
	strcpy(owner->user, opt->key);
	while(*p){
		while(*p == ' ' || *p == '\t') p++;
		size_t len = strcspn(p, " \t");
		if(len == 0) break;
		const char *star = memchr(p, '*', len);
		if(star != NULL && star != p + len - 1){
			mosquitto_log_printf(MOSQ_LOG_ERR, PLUGIN_NAME ": plugin_opt_%s: \"%.*s\": `*` may only end a pattern",
					opt->key, (int)len, p);
			return MOSQ_ERR_INVAL;
		}
		char **grown = realloc(owner->patterns, (size_t)(owner->pattern_count + 1) * sizeof(char *));
		if(grown == NULL) return MOSQ_ERR_NOMEM;
		owner->patterns = grown;
		char *pattern = malloc(len + 1);
		if(pattern == NULL) return MOSQ_ERR_NOMEM;
		memcpy(pattern, p, len);
		pattern[len] = '\0';
		owner->patterns[owner->pattern_count++] = pattern;
		p += len;
	}
	if(owner->pattern_count == 0){
		mosquitto_log_printf(MOSQ_LOG_ERR, PLUGIN_NAME ": plugin_opt_%s lists no client ids", opt->key);
		return MOSQ_ERR_INVAL;
	}
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for(int i = 0; i < supported_version_count; i++){
		if(supported_versions[i] == 5) return 5;
	}
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	if(option_count < 1){
		mosquitto_log_printf(MOSQ_LOG_ERR, PLUGIN_NAME ": no plugin_opt_<user> lines, so no client id has an owner");
		return MOSQ_ERR_INVAL;
	}
	owners = calloc((size_t)option_count, sizeof(struct owner));
	if(owners == NULL) return MOSQ_ERR_NOMEM;
	for(int i = 0; i < option_count; i++){
		int rc = parse_owner(&options[i], &owners[i]);
		owner_count = i + 1;
		if(rc != MOSQ_ERR_SUCCESS){
			free_owners();
			return rc;
		}
	}
	plugin_id = identifier;
	return mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL);
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	if(plugin_id != NULL) mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
	free_owners();
	return MOSQ_ERR_SUCCESS;
}
