"""DynamoDB for the local stack, served by moto inside LocalStack: nothing downloaded at run time."""
